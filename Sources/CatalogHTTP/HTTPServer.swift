import NIOCore
import NIOHTTP1
import NIOPosix

/// A small HTTP/1.1 server: keep-alive, pipelining (answered in order), HEAD, bounded bodies.
///
/// Invariants: every request gets exactly one response; error responses use the JSON shape
/// `{"error":"<code>","message":"..."}`; after `shutdown()` no new connections are accepted and
/// open ones are closed (a response still being computed is dropped).
public final class HTTPServer: Sendable {
    private let channel: any Channel
    private let connections: HTTPServerConnections

    /// The bound TCP port (useful with `port: 0`).
    public let localPort: Int

    /// Connections the kernel completes and queues for `accept` while the event loop is busy:
    /// beyond them it drops new SYNs and each such client waits out its SYN retransmission (1 s,
    /// then 3 s). 10,000 shoppers reconnecting at once (after a deploy, or wrk opening its
    /// connections) arrive faster than one loop accepts; Linux caps the figure at
    /// `net.core.somaxconn` (4,096 by default since 5.4).
    public static let listenBacklog: Int32 = 4096

    private init(channel: any Channel, connections: HTTPServerConnections) {
        self.channel = channel
        self.connections = connections
        self.localPort = channel.localAddress?.port ?? 0
    }

    /// Binds `host:port` and starts serving with `responder`.
    public static func start(
        host: String, port: Int, group: any EventLoopGroup,
        maxBodySize: Int = 1 << 20, limits: HTTPServerLimits = .unlimited, responder: some HTTPResponder
    ) async throws -> HTTPServer {
        let erased: any HTTPResponder = responder
        let connections = HTTPServerConnections(maxConnections: limits.maxConnections)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: listenBacklog)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard connections.add(channel) else { return }
                    let sync = channel.pipeline.syncOperations
                    if limits.idleTimeout != nil || limits.requestTimeout != nil {
                        try sync.addHandler(HTTPServerDeadlineHandler(idleTimeout: limits.idleTimeout, requestTimeout: limits.requestTimeout))
                    }
                    var decoderLimits = NIOHTTPDecoderLimitConfiguration()
                    decoderLimits.maxHeaderFieldSize = limits.maxHeaderFieldBytes
                    decoderLimits.maxHeaderListSize = limits.maxHeadBytes
                    try sync.addHandler(HTTPResponseEncoder())
                    let decoder = HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes, informationalResponseStrategy: .drop, limitConfiguration: decoderLimits)
                    try sync.addHandler(ByteToMessageHandler(decoder, maximumBufferSize: limits.maxDecoderBufferBytes))
                    try sync.addHandler(HTTPServerPipelineHandler())
                    try sync.addHandler(HTTPServerHandler(responder: erased, maxBodySize: maxBodySize))
                }
            }
            .bind(host: host, port: port)
            .get()
        return HTTPServer(channel: channel, connections: connections)
    }

    /// Stops accepting connections, closes the listening socket, then closes open connections.
    public func shutdown() async throws {
        do {
            try await channel.close()
        } catch ChannelError.alreadyClosed {
        }
        await connections.closeAll()
    }
}
