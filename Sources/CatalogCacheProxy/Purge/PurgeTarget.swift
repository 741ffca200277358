import CatalogCacheCore
import CatalogHTTP
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// One edge the proxy purges: a `PurgeScheduler` under a lock, and the effects it asks for
/// (timers on `loop`, requests through an `UpstreamPool` of this target) carried out after
/// the lock is released.
///
/// `enqueue` never blocks and never waits for the edge: it is called on the invalidation
/// feed's thread right after the local drop.
final class PurgeTarget: Sendable {
    let name: String
    private let provider: PurgeProvider
    private let pool: UpstreamPool
    private let hostHeader: String
    private let loop: EventLoop
    private let scheduler: NIOLockedValueBox<PurgeScheduler>
    private let metrics: EdgeMetrics
    private let logger: Logger

    init(configuration: PurgeTargetConfiguration, policy: PurgePolicy, token: String?, fallbackTags: [String], group: EventLoopGroup, metrics: EdgeMetrics, logger: Logger) throws {
        let endpoint = try UpstreamEndpoint.parse(configuration.url)
        var poolConfiguration = UpstreamPoolConfiguration()
        poolConfiguration.maxConnectionsPerEventLoop = 2
        poolConfiguration.maxIdleConnectionsPerEventLoop = 1
        poolConfiguration.maxQueuedRequestsPerEventLoop = 16
        poolConfiguration.connectTimeout = .milliseconds(Int64(min(configuration.timeoutMilliseconds, 2000)))
        poolConfiguration.readTimeout = .milliseconds(Int64(configuration.timeoutMilliseconds))
        poolConfiguration.totalTimeout = .milliseconds(Int64(configuration.timeoutMilliseconds))
        poolConfiguration.maxResponseBodySize = 1 << 20
        self.name = configuration.name
        self.loop = group.next()
        self.pool = UpstreamPool(endpoint: endpoint, configuration: poolConfiguration, group: loop)
        self.hostHeader = endpoint.hostHeader
        self.provider = PurgeProvider(kind: configuration.kind, basePath: endpoint.basePath, scope: configuration.scope, token: token, soft: configuration.soft, tagHeader: configuration.tagHeader)
        self.scheduler = NIOLockedValueBox(PurgeScheduler(policy: policy, fallbackTags: fallbackTags))
        self.metrics = metrics
        self.logger = logger
    }

    /// Milliseconds on the monotonic clock NIO's timers use.
    private static func now() -> Int64 { Int64(NIODeadline.now().uptimeNanoseconds / 1_000_000) }

    func enqueue(_ tags: [String]) {
        let now = Self.now()
        let (actions, before, after) = scheduler.withLockedValue { machine in
            let before = machine.pendingCount
            let actions = machine.enqueue(tags, now: now)
            return (actions, before, machine.pendingCount)
        }
        metrics.purgeQueueTags.add(after - before)
        perform(actions)
    }

    /// Waiting tags and whether nothing is in flight (tests, readiness of a drain).
    var state: (pending: Int, idle: Bool) { scheduler.withLockedValue { ($0.pendingCount, $0.isIdle) } }

    private func step(_ event: (inout PurgeScheduler, Int64) -> [PurgeScheduler.Action]) {
        let now = Self.now()
        let (actions, delta) = scheduler.withLockedValue { machine in
            let before = machine.pendingCount
            let actions = event(&machine, now)
            return (actions, machine.pendingCount - before)
        }
        metrics.purgeQueueTags.add(delta)
        perform(actions)
    }

    private func perform(_ actions: [PurgeScheduler.Action]) {
        for action in actions {
            switch action {
            case .armTimer(let at):
                let deadline = NIODeadline.uptimeNanoseconds(UInt64(max(at, 0)) * 1_000_000)
                loop.scheduleTask(deadline: deadline) { self.step { $0.timerFired(now: $1) } }
            case .send(let batch):
                send(batch)
            case .fellBack(let discarded):
                metrics.purgeFallbacks.increment(name)
                logger.warning("cdn purge \(name): \(discarded) tags did not fit the queue (or a header); purging every fixed tag instead")
            case .abandoned(let batch):
                metrics.purgesAbandoned.increment(name)
                logger.error("cdn purge \(name): gave up purging \(batch.tags.count) tags after \(batch.attempt) attempts; the edge keeps them until their TTL")
            case .purged(let batch, let latency):
                metrics.tagsPurged.increment(name, by: batch.tags.count)
                metrics.invalidatedToPurged.observe(Double(latency) / 1000)
            }
        }
    }

    private func send(_ batch: PurgeBatch) {
        let request = provider.request(for: batch.tags)
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: hostHeader)
        for field in request.headers { headers.add(name: field.name, value: field.value) }
        headers.add(name: "User-Agent", value: "catalog-cache")
        let head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: request.method), uri: request.path, headers: headers)
        let body = request.body.map { ByteBuffer(bytes: $0) }
        pool.execute(UpstreamRequest(head: head, body: body), on: loop).whenComplete { result in
            let outcome: PurgeScheduler.Outcome
            switch result {
            case .success(let response):
                outcome = self.provider.outcome(status: Int(response.head.status.code), body: Array(response.body.readableBytesView))
                if outcome != .acknowledged {
                    self.logger.warning("cdn purge \(self.name): \(response.head.status.code) \(String(decoding: response.body.readableBytesView.prefix(200), as: UTF8.self))")
                }
            case .failure(let error):
                outcome = .failed
                self.logger.warning("cdn purge \(self.name): \(error)")
            }
            let label = switch outcome {
            case .acknowledged: "acknowledged"
            case .failed: "failed"
            case .refused: "refused"
            }
            self.metrics.purgeRequests.increment("\(self.name):\(label)")
            self.step { $0.completed(batch.number, outcome, now: $1) }
        }
    }

    func shutdown() async {
        try? await pool.shutdown().get()
    }
}
