import CatalogCacheCore
import NIOConcurrencyHelpers
import NIOCore

/// Sends a ``RedisClient``'s commands to a Redis Cluster: each to the primary serving its
/// key's slot, following the cluster's redirects by the rules of ``ClusterCommandRetry``.
///
/// Invariants:
/// - A command runs on the event loop it was given (or a stable one of the group for a
///   foreign loop, hopping back), on that loop's own connections to the node: connections
///   per node per event loop, no lock besides the slot map's.
/// - The slot map is fetched (`CLUSTER SLOTS`) from a known primary or a seed before the
///   first command, after a `MOVED` (whose slot is also recorded at once), on `CLUSTERDOWN`,
///   an unreachable node or a lost connection; at most one fetch is in flight at a time.
///   An `ASK` never changes the map.
/// - When a fetched map no longer names as primary a node the previous fetch did (a
///   failover demoted or lost it), ``primaryLost`` is told, once per such fetch: writes that
///   node acknowledged may not have reached its replica. A node emptied by resharding and
///   removed is reported the same way (a harmless false alarm); slots moved between
///   primaries that stay are not.
/// - A command is resent only when it was not executed: after a redirect, `TRYAGAIN`,
///   `CLUSTERDOWN` or a failed connect. A connection lost after the command was written
///   fails it (it may have run) and refreshes the map.
/// - Redirects and transient errors are handled here, never seen by the caller: the caller
///   sees a reply, the command's own error, or one error after the bounded retries.
final class RedisClusterRouter: Sendable {
    private let seeds: [ServerAddress]
    private let loops: [ObjectIdentifier: ClusterNodePools]
    private let ordered: [ClusterNodePools]
    private let shared = NIOLockedValueBox(Shared())
    /// The names the nodes announce, for verifying their certificates over TLS.
    private let nodeNames: ClusterNodeNames
    /// Called with a new primary when a fetch shows a primary of the previous one is gone.
    private let primaryLost: @Sendable (RedisAddress) -> Void
    /// Called with every redirect a node answers (before it is followed or retried).
    private let redirected: @Sendable (ClusterRedirect) -> Void

    private struct Shared {
        var map = ClusterSlotMap()
        var refresh: EventLoopFuture<Void>?
        var refreshes = 0
        var lastRefreshError: String?
        /// The primaries of the last fetched map (not corrected by MOVED).
        var fetchedPrimaries: Set<ServerAddress> = []
    }

    private enum Target {
        case routed(mapFetched: Bool)
        case node(ServerAddress, asking: Bool)
    }

    private typealias Attempt<T> = @Sendable (LoopConnectionPool, _ asking: Bool) -> EventLoopFuture<T>

    init(connector: Result<RedisConnector, RedisError>, configuration: RedisConfiguration, seeds: [RedisAddress], group: EventLoopGroup, primaryLost: @escaping @Sendable (RedisAddress) -> Void, redirected: @escaping @Sendable (ClusterRedirect) -> Void = { _ in }) {
        self.seeds = seeds.map(ServerAddress.init)
        self.primaryLost = primaryLost
        self.redirected = redirected
        var loops: [ObjectIdentifier: ClusterNodePools] = [:]
        var ordered: [ClusterNodePools] = []
        let nodeNames = ClusterNodeNames()
        self.nodeNames = nodeNames
        for loop in group.makeIterator() {
            let pools = ClusterNodePools(connector: connector, configuration: configuration, nodeNames: nodeNames, eventLoop: loop)
            loops[ObjectIdentifier(loop)] = pools
            ordered.append(pools)
        }
        self.loops = loops
        self.ordered = ordered
    }

    /// The slot map as last fetched and corrected by `MOVED`.
    var slotMap: ClusterSlotMap { shared.withLockedValue { $0.map } }

    /// How many times the slot map was fetched successfully.
    var mapRefreshes: Int { shared.withLockedValue { $0.refreshes } }

    func send(_ command: RedisCommand, on eventLoop: EventLoop) -> EventLoopFuture<RESPValue> {
        let slot: Int?
        do { slot = try command.clusterSlot() } catch { return eventLoop.makeFailedFuture(error) }
        return onHomeLoop(eventLoop) { pools in
            self.execute(slot: slot, target: .routed(mapFetched: false), retry: ClusterCommandRetry(), pools: pools) { pool, asking in
                guard asking else { return pool.send(command) }
                return pool.sendBatch([RedisCommand("ASKING"), command]).flatMapThrowing { results in
                    if case .failure(let error) = results[0] { throw error }
                    return try results[1].get()
                }
            }
        }
    }

    /// `batch` (`MULTI` ... `EXEC`) on one connection of the node serving the commands' one
    /// slot; a redirect while queueing (which aborts the transaction) sends it again there.
    func sendBatch(_ batch: [RedisCommand], on eventLoop: EventLoop) -> EventLoopFuture<[Result<RESPValue, any Error>]> {
        let slot: Int?
        do { slot = try RedisCommand.clusterSlot(of: batch) } catch { return eventLoop.makeFailedFuture(error) }
        return onHomeLoop(eventLoop) { pools in
            self.execute(slot: slot, target: .routed(mapFetched: false), retry: ClusterCommandRetry(), pools: pools) { pool, asking in
                pool.sendBatch(asking ? [RedisCommand("ASKING")] + batch : batch).flatMapThrowing { results in
                    let results = asking ? Array(results.dropFirst()) : results
                    for case .failure(let error) in results where Self.isRedirect(error) { throw error }
                    return results
                }
            }
        }
    }

    func shutdown(on loop: EventLoop) -> EventLoopFuture<Void> {
        EventLoopFuture.andAllComplete(ordered.map { $0.shutdown() }, on: loop)
    }

    /// Runs `body` on `eventLoop`'s pools, or a stable loop's for a foreign loop (hopping back).
    private func onHomeLoop<T: Sendable>(_ eventLoop: EventLoop, _ body: @escaping @Sendable (ClusterNodePools) -> EventLoopFuture<T>) -> EventLoopFuture<T> {
        if let pools = loops[ObjectIdentifier(eventLoop)] {
            return eventLoop.inEventLoop ? body(pools) : eventLoop.flatSubmit { body(pools) }
        }
        guard !ordered.isEmpty else {
            return eventLoop.makeFailedFuture(RedisError.connectFailed("the event loop group has no event loops"))
        }
        let pools = ordered[Int(UInt(bitPattern: ObjectIdentifier(eventLoop).hashValue) % UInt(ordered.count))]
        return pools.eventLoop.flatSubmit { body(pools) }.hop(to: eventLoop)
    }

    private func execute<T: Sendable>(slot: Int?, target: Target, retry: ClusterCommandRetry, pools: ClusterNodePools, attempt: @escaping Attempt<T>) -> EventLoopFuture<T> {
        let loop = pools.eventLoop
        let node: ServerAddress
        let asking: Bool
        switch target {
        case .node(let named, let ask):
            (node, asking) = (named, ask)
        case .routed(let mapFetched):
            let known = shared.withLockedValue { state in slot.map { state.map.primary(forSlot: $0) } ?? state.map.primaries.first }
            guard let known else {
                if !mapFetched {
                    return refreshMap(pools).recover { _ in }.flatMap {
                        self.execute(slot: slot, target: .routed(mapFetched: true), retry: retry, pools: pools, attempt: attempt)
                    }
                }
                return handle(.redirect(.clusterDown), slot: slot, retry: retry, pools: pools, attempt: attempt)
            }
            (node, asking) = (known, false)
        }
        guard let pool = pools.pool(for: node) else { return loop.makeFailedFuture(RedisError.clientShutdown) }
        return attempt(pool, asking).flatMapError { error in
            switch error as? RedisError {
            case .server(let message)?:
                guard let redirect = ClusterRedirect.parse(message, replyingHost: node.host) else { break }
                self.redirected(redirect)
                return self.handle(.redirect(redirect), slot: slot, retry: retry, pools: pools, attempt: attempt)
            case .connectFailed?:
                return self.handle(.unreachable(node), slot: slot, retry: retry, pools: pools, attempt: attempt)
            case .connectionClosed?, .timeout?:
                _ = self.refreshMap(pools)
            default:
                break
            }
            return loop.makeFailedFuture(error)
        }
    }

    private func handle<T: Sendable>(_ failure: ClusterCommandRetry.Failure, slot: Int?, retry: ClusterCommandRetry, pools: ClusterNodePools, attempt: @escaping Attempt<T>) -> EventLoopFuture<T> {
        let loop = pools.eventLoop
        var retry = retry
        switch retry.next(after: failure) {
        case .send(let node, let asking, let move, let refresh):
            if let move { shared.withLockedValue { $0.map.assign(slot: move.slot, to: move.primary) } }
            if refresh { _ = refreshMap(pools) }
            return execute(slot: slot, target: .node(node, asking: asking), retry: retry, pools: pools, attempt: attempt)
        case .reroute(let delay, let refresh):
            var ready = loop.scheduleTask(in: .milliseconds(Int64(delay))) {}.futureResult
            if refresh { ready = ready.flatMap { self.refreshMap(pools).recover { _ in } } }
            return ready.flatMap {
                self.execute(slot: slot, target: .routed(mapFetched: true), retry: retry, pools: pools, attempt: attempt)
            }
        case .fail(let reason):
            let mapError = shared.withLockedValue { $0.lastRefreshError }.map { "; slot map: \($0)" } ?? ""
            return loop.makeFailedFuture(RedisError.clusterUnavailable("slot \(slot.map(String.init) ?? "any"): \(reason)\(mapError)"))
        }
    }

    /// Fetches the slot map (joining a fetch already in flight), asking the known primaries,
    /// then the seeds, until one answers.
    private func refreshMap(_ pools: ClusterNodePools) -> EventLoopFuture<Void> {
        let loop = pools.eventLoop
        let (inFlight, candidates, promise) = shared.withLockedValue { state -> (EventLoopFuture<Void>?, [ServerAddress], EventLoopPromise<Void>?) in
            if let refresh = state.refresh { return (refresh, [], nil) }
            let promise = loop.makePromise(of: Void.self)
            state.refresh = promise.futureResult
            var candidates = state.map.primaries
            for seed in seeds where !candidates.contains(seed) { candidates.append(seed) }
            return (nil, candidates, promise)
        }
        if let inFlight { return inFlight.hop(to: loop) }
        guard let promise else { return loop.makeSucceededVoidFuture() }
        fetchMap(asking: candidates[...], failures: [], pools: pools).whenComplete { result in
            let replacement = self.shared.withLockedValue { state -> ServerAddress? in
                state.refresh = nil
                switch result {
                case .success(let map):
                    state.map = map
                    state.refreshes += 1
                    state.lastRefreshError = nil
                    let primaries = Set(map.primaries)
                    defer { state.fetchedPrimaries = primaries }
                    guard !state.fetchedPrimaries.isEmpty, !state.fetchedPrimaries.isSubset(of: primaries) else { return nil }
                    return map.primaries.first { !state.fetchedPrimaries.contains($0) } ?? map.primaries.first
                case .failure(let error):
                    state.lastRefreshError = "\(error)"
                    return nil
                }
            }
            if let replacement { self.primaryLost(replacement.redisAddress) }
            promise.completeWith(result.map { _ in })
        }
        return promise.futureResult
    }

    private func fetchMap(asking nodes: ArraySlice<ServerAddress>, failures: [String], pools: ClusterNodePools) -> EventLoopFuture<ClusterSlotMap> {
        let loop = pools.eventLoop
        guard let node = nodes.first else {
            return loop.makeFailedFuture(RedisError.clusterUnavailable("no node answered CLUSTER SLOTS: \(failures.joined(separator: "; "))"))
        }
        guard let pool = pools.pool(for: node) else { return loop.makeFailedFuture(RedisError.clientShutdown) }
        return pool.send(RedisCommand("CLUSTER", "SLOTS")).flatMapThrowing { reply in
            let map = try ClusterSlotsReply.slotMap(reply, askedHost: node.host)
            guard !map.isEmpty else { throw RedisError.clusterUnavailable("\(node) serves no slots") }
            self.nodeNames.replace(with: ClusterSlotsReply.announcedHostnames(reply, askedHost: node.host))
            return map
        }.flatMapError { error in
            self.fetchMap(asking: nodes.dropFirst(), failures: failures + ["\(node): \(error)"], pools: pools)
        }
    }

    private static func isRedirect(_ error: any Error) -> Bool {
        guard case .server(let message) = error as? RedisError else { return false }
        return ClusterRedirect.parse(message, replyingHost: "") != nil
    }
}
