import CatalogCacheCore
import NIOConcurrencyHelpers
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
/// - Behind Sentinel, every connection is closed when the sentinels announce a new primary
///   (`+switch-master`), so the next command reconnects to it.
/// - On Redis Cluster, every command goes through a ``RedisClusterRouter``: to the primary
///   of its key's slot, on per-node connections of the same event loop; a command whose keys
///   span slots fails with ``RedisError/crossSlot(_:)`` without being sent.
public final class RedisClient: Sendable {
    public let configuration: RedisConfiguration
    public let group: EventLoopGroup
    private let pools: [ObjectIdentifier: LoopConnectionPool]
    private let orderedPools: [LoopConnectionPool]
    /// Behind Sentinel: drops every connection when the sentinels announce a new primary.
    private let switchWatcher: SentinelSwitchWatcher?
    /// On Redis Cluster: routes every command by slot (``pools`` then stay unused).
    private let cluster: RedisClusterRouter?
    private let switches = NIOLockedValueBox(0)
    private let primary = NIOLockedValueBox(PrimaryWatch())
    private let redirectHandler = NIOLockedValueBox<(@Sendable (ClusterRedirect) -> Void)?>(nil)

    private struct PrimaryWatch {
        var current: RedisAddress?
        var handler: (@Sendable (RedisAddress) -> Void)?
    }

    /// How many `+switch-master` announcements for this client's master it has acted on.
    public var primarySwitchesObserved: Int { switches.withLockedValue { $0 } }

    /// A client whose connections fail (``RedisError/connectFailed(_:)``) when the
    /// configuration's TLS files cannot be loaded; build a ``RedisConnector`` first to
    /// refuse such a configuration at start-up instead.
    public convenience init(configuration: RedisConfiguration, group: EventLoopGroup) {
        let connector: Result<RedisConnector, RedisError> = Result {
            try RedisConnector(configuration: configuration)
        }.mapError { $0 as? RedisError ?? .connectFailed("\($0)") }
        self.init(connector: connector, configuration: configuration, group: group)
    }

    public convenience init(connector: RedisConnector, group: EventLoopGroup) {
        self.init(connector: .success(connector), configuration: connector.configuration, group: group)
    }

    private init(connector: Result<RedisConnector, RedisError>, configuration: RedisConfiguration, group: EventLoopGroup) {
        self.configuration = configuration
        self.group = group
        var pools: [ObjectIdentifier: LoopConnectionPool] = [:]
        var ordered: [LoopConnectionPool] = []
        let primary = self.primary
        let isSentinel = if case .sentinel = configuration.topology { true } else { false }
        for loop in group.makeIterator() {
            let pool = LoopConnectionPool(connector: connector, configuration: configuration, eventLoop: loop) { connection in
                if isSentinel, let address = connection.address { Self.observe(primary: address, in: primary) }
            }
            pools[ObjectIdentifier(loop)] = pool
            ordered.append(pool)
        }
        self.pools = pools
        self.orderedPools = ordered
        if case .cluster(let seeds) = configuration.topology {
            let redirectHandler = self.redirectHandler
            self.cluster = RedisClusterRouter(connector: connector, configuration: configuration, seeds: seeds, group: group) { address in
                primary.withLockedValue { $0.handler }?(address)
            } redirected: { redirect in
                redirectHandler.withLockedValue { $0 }?(redirect)
            }
        } else {
            self.cluster = nil
        }
        if case .success(let connector) = connector, case .sentinel(let sentinels, let masterName) = configuration.topology,
           let loop = ordered.first?.eventLoop {
            let switches = self.switches
            let pools = ordered
            let watcher = SentinelSwitchWatcher(connector: connector, sentinels: sentinels, masterName: masterName, eventLoop: loop) { address in
                switches.withLockedValue { $0 += 1 }
                for pool in pools { pool.closeConnections() }
                Self.observe(primary: address, in: primary)
            }
            self.switchWatcher = watcher
            watcher.start()
        } else {
            self.switchWatcher = nil
        }
    }

    /// Calls `handler` whenever the client finds the primary has moved. Behind Sentinel: a
    /// connection reached another primary than the last one, or the sentinels announced one.
    /// On Redis Cluster: a fetched slot map no longer names a primary the previous one did
    /// (`handler` gets one of the new primaries). Writes the old primary acknowledged may not
    /// have reached the new one, so a cache must treat this like a lost invalidation feed.
    /// Not called for the first primary (or first map).
    public func onPrimaryChange(_ handler: @escaping @Sendable (RedisAddress) -> Void) {
        primary.withLockedValue { $0.handler = handler }
    }

    /// Closes every connection of a single-node or Sentinel client, so the next command
    /// connects again (behind Sentinel: asks the sentinels for the primary again). For a
    /// second client of the same Redis when the first found the primary moved: both then
    /// write to the primary the sentinels name now, not one to the old and one to the new.
    public func reconnect() {
        for pool in orderedPools { pool.closeConnections() }
    }

    /// On Redis Cluster: calls `handler` with every `MOVED`, `ASK`, `TRYAGAIN` and
    /// `CLUSTERDOWN` a node answers, before the client follows or retries it (never called
    /// off a cluster).
    public func onClusterRedirect(_ handler: @escaping @Sendable (ClusterRedirect) -> Void) {
        redirectHandler.withLockedValue { $0 = handler }
    }

    private static func observe(primary address: RedisAddress, in box: NIOLockedValueBox<PrimaryWatch>) {
        let handler = box.withLockedValue { watch -> (@Sendable (RedisAddress) -> Void)? in
            defer { watch.current = address }
            guard let current = watch.current, current != address else { return nil }
            return watch.handler
        }
        handler?(address)
    }

    /// Sends `command` on `eventLoop`'s connection; the future completes on `eventLoop`.
    /// RESP error replies fail with ``RedisError/server(_:)``.
    public func send(_ command: RedisCommand, on eventLoop: EventLoop) -> EventLoopFuture<RESPValue> {
        if let cluster { return cluster.send(command, on: eventLoop) }
        if let pool = pools[ObjectIdentifier(eventLoop)] {
            return pool.send(command)
        }
        guard let pool = pool(for: eventLoop) else {
            return eventLoop.makeFailedFuture(RedisError.connectFailed("the event loop group has no event loops"))
        }
        // A foreign loop: use a stable pool of the group and hop back.
        return pool.send(command).hop(to: eventLoop)
    }

    /// The pool of `eventLoop`, or for a loop not in ``group`` a stable one of the group's.
    func pool(for eventLoop: EventLoop) -> LoopConnectionPool? {
        if let pool = pools[ObjectIdentifier(eventLoop)] { return pool }
        guard !orderedPools.isEmpty else { return nil }
        let index = Int(UInt(bitPattern: ObjectIdentifier(eventLoop).hashValue) % UInt(orderedPools.count))
        return orderedPools[index]
    }

    /// Closes every connection; later commands fail with ``RedisError/clientShutdown``.
    public func shutdown() -> EventLoopFuture<Void> {
        switchWatcher?.stop()
        let loop = group.any()
        var closing = orderedPools.map { $0.shutdown() }
        if let cluster { closing.append(cluster.shutdown(on: loop)) }
        return EventLoopFuture.andAllComplete(closing, on: loop)
    }

    /// On Redis Cluster: the primary the client now sends `slot`'s commands to (nil before
    /// the map is fetched, or off a cluster).
    public func clusterPrimary(forSlot slot: Int) -> RedisAddress? {
        cluster?.slotMap.primary(forSlot: slot)?.redisAddress
    }

    /// On Redis Cluster: how many times the slot map was fetched (0 off a cluster).
    public var clusterMapRefreshes: Int { cluster?.mapRefreshes ?? 0 }

    /// Sends `batch` back to back on one connection (on a cluster, of the node serving the
    /// batch's one slot); each reply or error in order.
    func sendBatch(_ batch: [RedisCommand], on eventLoop: EventLoop) -> EventLoopFuture<[Result<RESPValue, any Error>]> {
        if let cluster { return cluster.sendBatch(batch, on: eventLoop) }
        guard let pool = pool(for: eventLoop) else {
            return eventLoop.makeFailedFuture(RedisError.connectFailed("the event loop group has no event loops"))
        }
        return pool.sendBatch(batch)
    }

    /// Closes every connection; later commands fail with ``RedisError/clientShutdown``.
    public func shutdown() async {
        let future: EventLoopFuture<Void> = shutdown()
        try? await future.get()
    }
}
