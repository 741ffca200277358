import CatalogPostgres
import Logging
import NIOCore

/// Holds a write's answer until the invalidations it caused are applied (see `WriteTokens`).
///
/// Bounded: after `timeout` the answer goes out anyway, logged and counted in
/// `catalog_cache_read_your_writes_timeouts_total`; likewise at once when the feed is not
/// listening (nothing could confirm the invalidations then; TTLs bound the staleness).
public final class WriteBarrier: Sendable {
    let tokens: WriteTokens
    let notifier: PostgresPool
    let channel: String
    let status: InvalidationFeedStatus
    let metrics: ProxyMetrics
    let timeout: TimeAmount
    let logger: Logger

    public init(tokens: WriteTokens, notifier: PostgresPool, channel: String, status: InvalidationFeedStatus, metrics: ProxyMetrics, timeout: TimeAmount, logger: Logger) {
        self.tokens = tokens
        self.notifier = notifier
        self.channel = channel
        self.status = status
        self.metrics = metrics
        self.timeout = timeout
        self.logger = logger
    }

    /// Completes (never fails) once this instance has applied every invalidation committed
    /// before now, or when the bound is reached.
    public func wait(on loop: EventLoop) -> EventLoopFuture<Void> {
        guard status.state == "listening" else {
            metrics.readYourWritesTimeouts.increment()
            logger.warning("read-your-writes: the invalidation feed is \(status.state); answering the write without confirmation")
            return loop.makeSucceededVoidFuture()
        }
        let (token, received) = tokens.make(on: loop)
        let payload = "{\"token\":\"\(token)\"}"
        let notifier = self.notifier
        let channel = self.channel
        let tokens = self.tokens
        loop.makeFutureWithTask {
            _ = try await notifier.query("SELECT pg_notify($1, $2)", [channel, payload])
        }.whenFailure { _ in tokens.abandon(token) }
        let timer = loop.scheduleTask(in: timeout) { tokens.abandon(token) }
        let metrics = self.metrics
        let logger = self.logger
        return received.always { _ in timer.cancel() }.recover { _ in
            metrics.readYourWritesTimeouts.increment()
            logger.warning("read-your-writes: token \(token) not received in time; answering the write anyway")
        }
    }
}
