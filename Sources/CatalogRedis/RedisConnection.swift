import NIOCore

/// One TCP connection to Redis on one event loop, with pipelining.
///
/// Invariants:
/// - Every future returned by ``send(_:)`` completes on ``eventLoop``, exactly once:
///   with the reply, ``RedisError/server(_:)`` for an error reply, or the error that ended
///   the connection (``RedisError/timeout``, ``RedisError/protocolError(_:)``,
///   ``RedisError/connectionClosed``).
/// - Commands sent during one event-loop tick go out in one write and one flush.
/// - A connection that timed out or hit a protocol error is closed, never reused.
public final class RedisConnection: Sendable {
    public let channel: Channel

    public var eventLoop: EventLoop { channel.eventLoop }

    /// True until the channel closes; a closed connection fails every command.
    public var isActive: Bool { channel.isActive }

    /// Completes when the connection has closed, for whatever reason.
    public var closeFuture: EventLoopFuture<Void> { channel.closeFuture }

    /// The server this connection reached (the primary Sentinel named, for that topology).
    public let address: RedisAddress?

    init(channel: Channel, address: RedisAddress? = nil) {
        self.channel = channel
        self.address = address
    }

    /// Connects as ``RedisConnector`` does (TLS, Sentinel, `AUTH`, `SELECT`). Any failure
    /// closes the channel and fails with ``RedisError/connectFailed(_:)``.
    public static func connect(
        configuration: RedisConfiguration,
        on eventLoop: EventLoop
    ) -> EventLoopFuture<RedisConnection> {
        do {
            return try RedisConnector(configuration: configuration).connect(on: eventLoop)
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
    }

    /// Sends one command. Safe from any thread; from the connection's own event loop it
    /// does not hop, and the write joins this tick's batch.
    public func send(_ command: RedisCommand) -> EventLoopFuture<RESPValue> {
        let promise = eventLoop.makePromise(of: RESPValue.self)
        if eventLoop.inEventLoop {
            enqueue(RedisRequest(command: command, promise: promise))
        } else {
            eventLoop.execute { self.enqueue(RedisRequest(command: command, promise: promise)) }
        }
        return promise.futureResult
    }

    private func enqueue(_ request: RedisRequest) {
        // Once inactive, the handlers may already be gone; fail here so no promise leaks.
        guard channel.isActive else {
            request.promise.fail(RedisError.connectionClosed)
            return
        }
        channel.write(request, promise: nil)
    }

    /// Closes the connection; pending commands fail with ``RedisError/connectionClosed``.
    /// Succeeds also when the connection had already closed.
    public func close() -> EventLoopFuture<Void> {
        channel.close().recover { _ in }.flatMap { self.channel.closeFuture }
    }
}
