import NIOCore
import NIOHTTP1

/// A pool of HTTP/1.1 keep-alive connections to one upstream, one sub-pool per event loop of
/// `group`, each confined to its loop.
///
/// Guarantees:
/// - A request is written to at most one connection, at most once; nothing is ever retried.
///   The only case where a request moves to another connection is an idle pooled connection
///   found closed before any byte of the request was written.
/// - One request at a time per connection (no pipelining).
/// - Per loop: at most `maxConnectionsPerEventLoop` connections; beyond that requests wait in
///   FIFO order, each at most until its `totalTimeout`.
/// - Every returned future completes: the total timeout bounds queueing, connecting, sending
///   and receiving.
public final class UpstreamPool: Sendable {
    public let endpoint: UpstreamEndpoint
    public let configuration: UpstreamPoolConfiguration
    private let group: any EventLoopGroup
    private let loopPools: [ObjectIdentifier: UpstreamLoopPool]
    private let orderedPools: [UpstreamLoopPool]

    public init(endpoint: UpstreamEndpoint, configuration: UpstreamPoolConfiguration, group: any EventLoopGroup) {
        precondition(configuration.maxConnectionsPerEventLoop >= 1, "maxConnectionsPerEventLoop must be >= 1")
        precondition(configuration.maxIdleConnectionsPerEventLoop >= 0, "maxIdleConnectionsPerEventLoop must be >= 0")
        precondition(configuration.maxQueuedRequestsPerEventLoop >= 0, "maxQueuedRequestsPerEventLoop must be >= 0")
        precondition(configuration.maxResponseBodySize >= 0, "maxResponseBodySize must be >= 0")
        self.endpoint = endpoint
        self.configuration = configuration
        self.group = group
        var pools: [ObjectIdentifier: UpstreamLoopPool] = [:]
        var ordered: [UpstreamLoopPool] = []
        for loop in group.makeIterator() {
            let pool = UpstreamLoopPool(eventLoop: loop, endpoint: endpoint, configuration: configuration)
            pools[ObjectIdentifier(loop)] = pool
            ordered.append(pool)
        }
        self.loopPools = pools
        self.orderedPools = ordered
    }

    /// Sends the request once. Completes on `eventLoop`. Uses an idle keep-alive connection of
    /// that event loop when there is one, else opens a new one (up to the per-loop maximum;
    /// beyond it, requests queue FIFO until a connection frees up, and fail with
    /// `totalTimeout` if they wait too long). When `eventLoop` is not one of the pool's group,
    /// the request runs on a loop of the group and the result is delivered on `eventLoop`.
    public func execute(_ request: UpstreamRequest, on eventLoop: any EventLoop) -> EventLoopFuture<UpstreamResponse> {
        guard let pool = loopPools[ObjectIdentifier(eventLoop)] else {
            return execute(request, on: group.next()).hop(to: eventLoop)
        }
        let promise = eventLoop.makePromise(of: UpstreamResponse.self)
        let deadline = NIODeadline.now() + configuration.totalTimeout
        if eventLoop.inEventLoop {
            pool.execute(request, deadline: deadline, promise: promise)
        } else {
            eventLoop.execute {
                pool.execute(request, deadline: deadline, promise: promise)
            }
        }
        return promise.futureResult
    }

    /// Closes idle connections and fails queued requests with `.shutDown`; requests in flight
    /// finish (or time out) and their connections are then closed. Later `execute` calls fail
    /// with `.shutDown`. Completes when every connection is closed.
    public func shutdown() -> EventLoopFuture<Void> {
        let futures = orderedPools.map { pool in
            pool.eventLoop.submit { pool.shutdown() }.flatMap { pool.shutdownFuture }
        }
        return EventLoopFuture.andAllSucceed(futures, on: group.next())
    }

    /// Open, idle, in-flight, queued and created-total connections summed over all loops.
    public var stats: UpstreamPoolStats {
        orderedPools.reduce(UpstreamPoolStats()) { $0 + $1.stats }
    }
}
