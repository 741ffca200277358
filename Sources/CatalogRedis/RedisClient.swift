import NIOCore

/// The proxy's Redis client: connections kept per event loop.
///
/// Invariants:
/// - ``send(_:on:)`` uses a connection bound to the given event loop and its future
///   completes on that loop, so a caller on that loop never hops threads and takes no lock
///   (the loop → pool table is built once in `init` and never mutated).
/// - A caller passing an event loop that is not in ``group`` is still served: the command
///   runs on one of the group's loops and the result hops back to the caller's loop.
/// - Connections are made lazily (with `AUTH`/`SELECT`), remade lazily after they close,
///   and all closed by ``shutdown()-(EventLoopFuture<Void>)``; afterwards every command
///   fails with ``RedisError/clientShutdown``.
public final class RedisClient: Sendable {
    public let configuration: RedisConfiguration
    public let group: EventLoopGroup
    private let pools: [ObjectIdentifier: LoopConnectionPool]
    private let orderedPools: [LoopConnectionPool]

    public init(configuration: RedisConfiguration, group: EventLoopGroup) {
        self.configuration = configuration
        self.group = group
        var pools: [ObjectIdentifier: LoopConnectionPool] = [:]
        var ordered: [LoopConnectionPool] = []
        for loop in group.makeIterator() {
            let pool = LoopConnectionPool(configuration: configuration, eventLoop: loop)
            pools[ObjectIdentifier(loop)] = pool
            ordered.append(pool)
        }
        self.pools = pools
        self.orderedPools = ordered
    }

    /// Sends `command` on `eventLoop`'s connection; the future completes on `eventLoop`.
    /// RESP error replies fail with ``RedisError/server(_:)``.
    public func send(_ command: RedisCommand, on eventLoop: EventLoop) -> EventLoopFuture<RESPValue> {
        if let pool = pools[ObjectIdentifier(eventLoop)] {
            return pool.send(command)
        }
        guard !orderedPools.isEmpty else {
            return eventLoop.makeFailedFuture(RedisError.connectFailed("the event loop group has no event loops"))
        }
        // A foreign loop: use a stable pool of the group and hop back.
        let index = Int(UInt(bitPattern: ObjectIdentifier(eventLoop).hashValue) % UInt(orderedPools.count))
        return orderedPools[index].send(command).hop(to: eventLoop)
    }

    /// The pool bound to `eventLoop`, or a stable pool of the group for a foreign loop (whose
    /// futures the caller hops back); nil when the group has no loops.
    func pool(for eventLoop: EventLoop) -> LoopConnectionPool? {
        if let pool = pools[ObjectIdentifier(eventLoop)] { return pool }
        guard !orderedPools.isEmpty else { return nil }
        let index = Int(UInt(bitPattern: ObjectIdentifier(eventLoop).hashValue) % UInt(orderedPools.count))
        return orderedPools[index]
    }

    /// Closes every connection; later commands fail with ``RedisError/clientShutdown``.
    public func shutdown() -> EventLoopFuture<Void> {
        let loop = group.any()
        return EventLoopFuture.andAllComplete(orderedPools.map { $0.shutdown() }, on: loop)
    }

    /// Closes every connection; later commands fail with ``RedisError/clientShutdown``.
    public func shutdown() async {
        let future: EventLoopFuture<Void> = shutdown()
        try? await future.get()
    }
}
