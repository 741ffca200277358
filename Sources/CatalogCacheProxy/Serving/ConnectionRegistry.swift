import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// The open connections of the proxy port: bounds their number and drains them at shutdown.
///
/// Invariants: at most `maxConnections` admitted connections are open at once (a connection
/// over the bound is still accepted by the kernel, then closed at once by
/// `RejectConnectionHandler` and counted in `connectionsRejected`); every admitted channel is
/// forgotten when it closes; after `drain` starts no connection is admitted.
public final class ConnectionRegistry: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: Channel] = [:]
        var draining = false
    }

    public let maxConnections: Int
    private let metrics: ProxyMetrics
    private let state = Mutex(State())

    public init(maxConnections: Int, metrics: ProxyMetrics) {
        self.maxConnections = maxConnections
        self.metrics = metrics
    }

    /// Connections currently open and admitted.
    public var count: Int { state.withLock { $0.channels.count } }

    /// Admits `channel` if there is room (and no drain is under way), and forgets it when it closes.
    public func admit(_ channel: Channel) -> Bool {
        let id = ObjectIdentifier(channel)
        let admitted = state.withLock { s in
            guard !s.draining, s.channels.count < maxConnections else { return false }
            s.channels[id] = channel
            return true
        }
        guard admitted else {
            metrics.connectionsRejected.increment()
            return false
        }
        metrics.openConnections.add(1)
        channel.closeFuture.whenComplete { _ in
            if self.state.withLock({ $0.channels.removeValue(forKey: id) }) != nil { self.metrics.openConnections.add(-1) }
        }
        return true
    }

    /// Graceful close of every connection: idle ones close now, each one with a request in
    /// progress closes after its response (NIO's `ChannelShouldQuiesceEvent`, which
    /// `ProxyHTTPHandler` turns into `Connection: close` on that response). Whatever is still
    /// open after `grace` is closed. Answers how many connections had to be closed forcibly.
    public func drain(grace: Duration) async -> Int {
        let channels = state.withLock { s in
            s.draining = true
            return Array(s.channels.values)
        }
        for channel in channels { channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent()) }
        let deadline = ContinuousClock.now.advanced(by: grace)
        while count > 0 && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        let left = state.withLock { Array($0.channels.values) }
        for channel in left { channel.close(promise: nil) }
        for channel in left { try? await channel.closeFuture.get() }
        return left.count
    }
}

/// Closes a connection over `limits.max_connections` as soon as it is active.
final class RejectConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { context.close(promise: nil) }
    }

    func channelActive(context: ChannelHandlerContext) {
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}
