import CatalogCacheCore
import NIOCore

/// The connections a cluster client keeps on ONE event loop: one ``LoopConnectionPool`` per
/// node, made when a command first goes to that node.
///
/// Invariants: the table is touched only on ``eventLoop`` (no lock on the command path);
/// after ``shutdown()`` no pool is made and every command fails with
/// ``RedisError/clientShutdown``.
final class ClusterNodePools: Sendable {
    let eventLoop: EventLoop
    private let connector: Result<RedisConnector, RedisError>
    private let configuration: RedisConfiguration
    private let nodeNames: ClusterNodeNames
    private let state: NIOLoopBoundBox<State>

    private struct State {
        var pools: [ServerAddress: LoopConnectionPool] = [:]
        var isShutdown = false
    }

    init(connector: Result<RedisConnector, RedisError>, configuration: RedisConfiguration, nodeNames: ClusterNodeNames, eventLoop: EventLoop) {
        self.eventLoop = eventLoop
        self.nodeNames = nodeNames
        self.connector = connector
        self.configuration = configuration
        self.state = .makeBoxSendingValue(State(), eventLoop: eventLoop)
    }

    /// The pool for `node`, made on first use; nil once shut down. On ``eventLoop`` only.
    func pool(for node: ServerAddress) -> LoopConnectionPool? {
        if let pool = state.value.pools[node] { return pool }
        if state.value.isShutdown { return nil }
        var nodeConfiguration = configuration
        nodeConfiguration.topology = .single
        nodeConfiguration.host = node.host
        nodeConfiguration.port = node.port
        let pool = LoopConnectionPool(
            connector: connector.map { $0.forNode(node.redisAddress, names: nodeNames) },
            configuration: nodeConfiguration,
            eventLoop: eventLoop
        )
        state.value.pools[node] = pool
        return pool
    }

    /// Closes every node's connections; later commands fail with ``RedisError/clientShutdown``.
    func shutdown() -> EventLoopFuture<Void> {
        eventLoop.flatSubmit {
            self.state.value.isShutdown = true
            let pools = Array(self.state.value.pools.values)
            return EventLoopFuture.andAllComplete(pools.map { $0.shutdown() }, on: self.eventLoop)
        }
    }
}
