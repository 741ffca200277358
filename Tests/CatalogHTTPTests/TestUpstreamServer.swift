import CatalogHTTP
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// A real HTTP/1.1 server on 127.0.0.1 (port 0) for pool tests. It decodes requests with
/// NIO's `HTTPRequestDecoder` and answers with raw bytes chosen by `behaviour`, so a test
/// controls framing exactly (Content-Length, chunked, read-until-close, broken responses).
/// It counts accepted, concurrent and peak connections and records every complete request.
final class TestUpstreamServer: Sendable {
    /// What the server does once a request is complete.
    indirect enum Reply: Sendable {
        /// Write these bytes; keep the connection open.
        case raw(String)
        /// Write these bytes, then close the connection.
        case rawThenClose(String)
        /// Never answer (the connection stays open).
        case never
        /// Answer after a delay.
        case delayed(TimeAmount, Reply)
    }

    struct Received: Sendable {
        var head: HTTPRequestHead
        var body: String
        /// 1-based number of the connection the request came on.
        var connection: Int
    }

    struct Counters: Sendable {
        var accepted = 0
        var current = 0
        var maxConcurrent = 0
        var requests: [Received] = []
    }

    let port: Int
    private let channel: any Channel
    private let counters: NIOLockedValueBox<Counters>

    var snapshot: Counters { counters.withLockedValue { $0 } }
    var requestCount: Int { snapshot.requests.count }
    var acceptedConnections: Int { snapshot.accepted }

    private init(channel: any Channel, counters: NIOLockedValueBox<Counters>) {
        self.channel = channel
        self.counters = counters
        self.port = channel.localAddress!.port!
    }

    static func start(
        group: any EventLoopGroup,
        behaviour: @escaping @Sendable (Received) -> Reply
    ) async throws -> TestUpstreamServer {
        let counters = NIOLockedValueBox(Counters())
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes))
                    )
                    try channel.pipeline.syncOperations.addHandler(
                        ConnectionHandler(counters: counters, behaviour: behaviour)
                    )
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return TestUpstreamServer(channel: channel, counters: counters)
    }

    func stop() async throws {
        try await channel.close()
    }

    /// The endpoint of this server.
    var endpoint: UpstreamEndpoint { UpstreamEndpoint(host: "127.0.0.1", port: port) }

    private final class ConnectionHandler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = ByteBuffer

        let counters: NIOLockedValueBox<Counters>
        let behaviour: @Sendable (Received) -> Reply
        var number = 0
        var head: HTTPRequestHead?
        var body = ""

        init(counters: NIOLockedValueBox<Counters>, behaviour: @escaping @Sendable (Received) -> Reply) {
            self.counters = counters
            self.behaviour = behaviour
        }

        func channelActive(context: ChannelHandlerContext) {
            number = counters.withLockedValue { counters in
                counters.accepted += 1
                counters.current += 1
                counters.maxConcurrent = max(counters.maxConcurrent, counters.current)
                return counters.accepted
            }
            context.fireChannelActive()
        }

        func channelInactive(context: ChannelHandlerContext) {
            counters.withLockedValue { $0.current -= 1 }
            context.fireChannelInactive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                self.body = ""
            case .body(let buffer):
                body += String(buffer: buffer)
            case .end:
                guard let head else { return }
                let received = Received(head: head, body: body, connection: number)
                counters.withLockedValue { $0.requests.append(received) }
                perform(behaviour(received), context: context)
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }

        private func perform(_ reply: Reply, context: ChannelHandlerContext) {
            switch reply {
            case .raw(let text):
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: text)), promise: nil)
            case .rawThenClose(let text):
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: text))).assumeIsolated().whenComplete { _ in
                    context.close(promise: nil)
                }
            case .never:
                break
            case .delayed(let delay, let inner):
                context.eventLoop.assumeIsolated().scheduleTask(in: delay) {
                    self.perform(inner, context: context)
                }
            }
        }
    }
}

/// Raw HTTP/1.1 responses for the test server.
enum RawResponse {
    static func ok(_ body: String, status: String = "200 OK", extraHeaders: String = "") -> String {
        "HTTP/1.1 \(status)\r\nContent-Length: \(body.utf8.count)\r\n\(extraHeaders)\r\n\(body)"
    }

    static func chunked(_ chunks: [String]) -> String {
        var text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        for chunk in chunks {
            text += String(chunk.utf8.count, radix: 16) + "\r\n" + chunk + "\r\n"
        }
        return text + "0\r\n\r\n"
    }
}
