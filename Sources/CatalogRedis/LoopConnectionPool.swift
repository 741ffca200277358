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
    private let connector: Result<RedisConnector, RedisError>
    private let state: NIOLoopBoundBox<State>

    /// Told of every connection made (the client watches which primary they reach).
    private let connected: @Sendable (RedisConnection) -> Void

    init(connector: Result<RedisConnector, RedisError>, configuration: RedisConfiguration, eventLoop: EventLoop, connected: @escaping @Sendable (RedisConnection) -> Void = { _ in }) {
        self.eventLoop = eventLoop
        self.connected = connected
        self.connector = connector
        self.configuration = configuration
        self.state = .makeBoxSendingValue(
            State(slots: Array(repeating: .idle, count: configuration.connectionsPerEventLoop)),
            eventLoop: eventLoop
        )
    }

    /// Sends on a connection of this loop; the future completes on this loop.
    func send(_ command: RedisCommand) -> EventLoopFuture<RESPValue> {
        if eventLoop.inEventLoop { return sendOnLoop(command) }
        return eventLoop.flatSubmit { self.sendOnLoop(command) }
    }

    /// The single-command path, without a closure to allocate per command (the proxy's hit path).
    private func sendOnLoop(_ command: RedisCommand) -> EventLoopFuture<RESPValue> {
        switch nextConnection() {
        case .ready(let connection):
            let reply = connection.send(command)
            if case .sentinel = configuration.topology { Self.closeOnReadOnly(reply, connection) }
            return reply
        case .pending(let future):
            return future.flatMap { $0.send(command) }
        case .failed(let error):
            return eventLoop.makeFailedFuture(error)
        }
    }

    /// Sends `commands` back to back on ONE connection of this loop, so no other command of
    /// this client lands between them (what `MULTI` ... `EXEC` needs). Each reply (or error)
    /// is reported in order; the future itself never fails.
    func sendBatch(_ commands: [RedisCommand]) -> EventLoopFuture<[Result<RESPValue, any Error>]> {
        guard eventLoop.inEventLoop else { return eventLoop.flatSubmit { self.sendBatch(commands) } }
        let loop = eventLoop
        let send = { @Sendable (connection: RedisConnection) in
            EventLoopFuture.whenAllComplete(commands.map { connection.send($0) }, on: loop)
        }
        switch nextConnection() {
        case .ready(let connection):
            return send(connection)
        case .pending(let future):
            return future.flatMap(send).recover { error in commands.map { _ in .failure(error) } }
        case .failed(let error):
            return eventLoop.makeSucceededFuture(commands.map { _ in .failure(error) })
        }
    }

    private enum NextConnection {
        case ready(RedisConnection)
        case pending(EventLoopFuture<RedisConnection>)
        case failed(RedisError)
    }

    /// The connection of the next slot, connecting it when it has none (no allocation when
    /// it is connected). On this loop only.
    private func nextConnection() -> NextConnection {
        if state.value.isShutdown { return .failed(.clientShutdown) }
        let index = state.value.nextSlot
        if state.value.slots.count > 1 {
            state.value.nextSlot = (index + 1) % state.value.slots.count
        }
        switch state.value.slots[index] {
        case .connected(let connection) where connection.isActive:
            return .ready(connection)
        case .connecting(let future):
            return .pending(future)
        case .idle, .connected:
            if let backoff = state.value.backoff {
                if NIODeadline.now() < backoff.until { return .failed(backoff.error) }
                state.value.backoff = nil
            }
            return .pending(connect(slot: index))
        }
    }

    private func connect(slot index: Int) -> EventLoopFuture<RedisConnection> {
        let future: EventLoopFuture<RedisConnection>
        switch connector {
        case .success(let connector): future = connector.connect(on: eventLoop)
        case .failure(let error): future = eventLoop.makeFailedFuture(error)
        }
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
                self.connected(connection)
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

    /// A primary demoted by a failover answers writes with `-READONLY`: close the connection,
    /// so the next command connects again and asks the sentinels for the new primary.
    private static func closeOnReadOnly(_ reply: EventLoopFuture<RESPValue>, _ connection: RedisConnection) {
        reply.whenFailure { error in
            if case .server(let message) = error as? RedisError, message.hasPrefix("READONLY") {
                connection.channel.close(promise: nil)
            }
        }
    }

    /// Closes the open connections (commands on them fail with
    /// ``RedisError/connectionClosed``); the next command connects again.
    func closeConnections() {
        eventLoop.execute {
            for slot in self.state.value.slots {
                if case .connected(let connection) = slot { connection.channel.close(promise: nil) }
            }
        }
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
