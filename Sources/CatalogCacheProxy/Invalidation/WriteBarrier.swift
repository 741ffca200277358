import CatalogPostgres
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Holds a write's answer until the invalidations it caused are applied (see `WriteTokens`).
///
/// Bounded: after `timeout` the answer goes out anyway, logged and counted in
/// `catalog_cache_read_your_writes_timeouts_total`, but then no cached entry is served
/// (`gate` closed over everything) until the token arrives, which proves the invalidations
/// committed before it applied, or for at most `gateLimit` (the feed lost meanwhile makes
/// its own reconnect drop every mapped tag): an answered write is never followed by an
/// older cached answer because the feed is slow (a drop retrying on a dead Redis primary).
/// When the feed is not listening the answer goes out at once (nothing could confirm the
/// invalidations then; TTLs and `feed_down_max_age_s` bound the staleness).
public final class WriteBarrier: Sendable {
    let tokens: WriteTokens
    let notifier: PostgresPool
    let channel: String
    let status: InvalidationFeedStatus
    let metrics: ProxyMetrics
    let timeout: TimeAmount
    let logger: Logger
    let gate: InvalidationGate?
    let gateLimit: TimeAmount

    public init(tokens: WriteTokens, notifier: PostgresPool, channel: String, status: InvalidationFeedStatus, metrics: ProxyMetrics, timeout: TimeAmount, logger: Logger, gate: InvalidationGate? = nil, gateLimit: TimeAmount = .seconds(30)) {
        self.tokens = tokens
        self.notifier = notifier
        self.channel = channel
        self.status = status
        self.metrics = metrics
        self.timeout = timeout
        self.logger = logger
        self.gate = gate
        self.gateLimit = gateLimit
    }

    /// Completes (never fails) once this instance has applied every invalidation committed
    /// before now, or when the bound is reached (the gate then stays closed until it has, or
    /// for at most `gateLimit`).
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
        let metrics = self.metrics
        let logger = self.logger
        // A NOTIFY the database refuses is not given up on: a later write's token confirms
        // this one too (`WriteTokens`), else the bound closes the gate as for a slow feed.
        loop.makeFutureWithTask {
            _ = try await notifier.query("SELECT pg_notify($1, $2)", [channel, payload])
        }.whenFailure { error in logger.warning("read-your-writes: could not send token \(token): \(error)") }
        let gate = self.gate
        let answered = loop.makePromise(of: Void.self)
        let timedOut = NIOLockedValueBox(false)
        let timer = loop.scheduleTask(in: timeout) {
            timedOut.withLockedValue { $0 = true }
            metrics.readYourWritesTimeouts.increment()
            logger.warning("read-your-writes: token \(token) not received in time; answering the write anyway, serving no cached entry until it is")
            gate?.begin(tags: [], keys: [], all: true)
            answered.succeed(())
        }
        let limit = loop.scheduleTask(in: timeout + gateLimit) { tokens.abandon(token) }
        received.whenComplete { result in
            timer.cancel()
            limit.cancel()
            if timedOut.withLockedValue({ $0 }) {
                if case .failure = result { logger.warning("read-your-writes: token \(token) never received; serving cached entries again") }
                gate?.end(tags: [], keys: [], all: true)
            } else {
                answered.succeed(())
            }
        }
        return answered.futureResult
    }
}
