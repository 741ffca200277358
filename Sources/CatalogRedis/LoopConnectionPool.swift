import NIOCore

/// The connections a ``RedisClient`` keeps on ONE event loop.
///
/// Invariants:
/// - All state lives in a loop-bound box and is touched only on ``eventLoop``, so the hit
///   path (a caller already on this loop) takes no lock and never hops threads.
/// - Connections are created lazily on first use and again lazily after they close;
///   while one is connecting, commands for its slot wait on that single attempt.
/// - After a failed connect, commands fail immediately with the same error for
///   ``RedisConfiguration/reconnectBackoff`` ("fail fast": the proxy then fails open).
/// - After ``shutdown()`` every command fails with ``RedisError/clientShutdown`` and
///   connections that finish connecting are closed at once.
final class LoopConnectionPool: Sendable {
    private enum Slot {
        case idle
        case connecting(EventLoopFuture<RedisConnection>)
        case connected(RedisConnection)
    }

    private struct State {
        var slots: [Slot]
        var nextSlot = 0
        var isShutdown = false
        var backoff: (until: NIODeadline, error: RedisError)?
    }

    let eventLoop: EventLoop
    private let configuration: RedisConfiguration
    private let state: NIOLoopBoundBox<State>

    init(configuration: RedisConfiguration, eventLoop: EventLoop) {
        self.eventLoop = eventLoop
        self.configuration = configuration
        self.state = .makeBoxSendingValue(
            State(slots: Array(repeating: .idle, count: configuration.connectionsPerEventLoop)),
            eventLoop: eventLoop
        )
    }

    /// Sends on a connection of this loop; the future completes on this loop.
    func send(_ command: RedisCommand) -> EventLoopFuture<RESPValue> {
        onConnection { $0.send(command) }
    }

    /// Sends `commands` back to back on ONE connection of this loop, so no other command of
    /// this client lands between them (what `MULTI` ... `EXEC` needs). Each reply (or error)
    /// is reported in order; the future itself never fails.
    func sendBatch(_ commands: [RedisCommand]) -> EventLoopFuture<[Result<RESPValue, any Error>]> {
        onConnection { connection in
            let replies = commands.map { connection.send($0) }
            return EventLoopFuture.whenAllComplete(replies, on: self.eventLoop)
        }.flatMapErrorThrowing { error in
            commands.map { _ in .failure(error) }
        }
    }

    /// Runs `body` on this loop with a connected connection of the next slot.
    private func onConnection<T: Sendable>(
        _ body: @escaping @Sendable (RedisConnection) -> EventLoopFuture<T>
    ) -> EventLoopFuture<T> {
        if eventLoop.inEventLoop { return onConnectionOnLoop(body) }
        return eventLoop.flatSubmit { self.onConnectionOnLoop(body) }
    }

    private func onConnectionOnLoop<T: Sendable>(
        _ body: @escaping @Sendable (RedisConnection) -> EventLoopFuture<T>
    ) -> EventLoopFuture<T> {
        if state.value.isShutdown { return eventLoop.makeFailedFuture(RedisError.clientShutdown) }
        let index = state.value.nextSlot
        if state.value.slots.count > 1 {
            state.value.nextSlot = (index + 1) % state.value.slots.count
        }
        switch state.value.slots[index] {
        case .connected(let connection) where connection.isActive:
            return body(connection)
        case .connecting(let future):
            return future.flatMap { body($0) }
        case .idle, .connected:
            if let backoff = state.value.backoff {
                if NIODeadline.now() < backoff.until { return eventLoop.makeFailedFuture(backoff.error) }
                state.value.backoff = nil
            }
            return connect(slot: index).flatMap { body($0) }
        }
    }

    private func connect(slot index: Int) -> EventLoopFuture<RedisConnection> {
        let future = RedisConnection.connect(configuration: configuration, on: eventLoop)
        state.value.slots[index] = .connecting(future)
        future.whenComplete { result in
            switch result {
            case .success(let connection):
                if self.state.value.isShutdown {
                    self.state.value.slots[index] = .idle
                    connection.channel.close(promise: nil)
                    return
                }
                self.state.value.slots[index] = .connected(connection)
                connection.closeFuture.whenComplete { _ in
                    if case .connected(let current) = self.state.value.slots[index], current === connection {
                        self.state.value.slots[index] = .idle
                    }
                }
            case .failure(let error):
                self.state.value.slots[index] = .idle
                let redisError = error as? RedisError ?? .connectFailed("\(error)")
                self.state.value.backoff = (.now() + self.configuration.reconnectBackoff, redisError)
            }
        }
        return future
    }

    /// Marks the pool shut down and closes its connections.
    func shutdown() -> EventLoopFuture<Void> {
        eventLoop.flatSubmit {
            self.state.value.isShutdown = true
            var closing: [EventLoopFuture<Void>] = []
            for slot in self.state.value.slots {
                switch slot {
                case .connected(let connection):
                    closing.append(connection.close())
                case .connecting(let future):
                    closing.append(future.flatMap { $0.close() }.recover { _ in })
                case .idle:
                    break
                }
            }
            self.state.value.slots = self.state.value.slots.map { _ in .idle }
            return EventLoopFuture.andAllComplete(closing, on: self.eventLoop)
        }
    }

}
