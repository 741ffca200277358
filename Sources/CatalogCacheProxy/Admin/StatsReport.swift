import CatalogCacheCore
import CatalogHTTP
import Foundation
import NIOCore
import Synchronization

/// `/stats.json`: the one document the dashboard (`/`) and `catalog-cache stat` read.
///
/// Counters are sampled once a second into a `RateWindow`, so rates (`rates_1s`,
/// `rates_10s`) are the server's, the same for every viewer, and viewing costs the serve
/// path nothing. Everything else is read when the document is built.
public final class StatsReport: Sendable {
    let metrics: ProxyMetrics
    let feed: InvalidationFeedStatus
    let store: any CacheStore
    let configuration: ProxyConfiguration
    private let window = Mutex(RateWindow(capacity: 16))
    private let sampler = Mutex<RepeatedTask?>(nil)
    private let wallClock: @Sendable () -> Int64
    /// The live admin events shown on the dashboard; nil when off.
    let adminEvents: AdminEventStreams?

    public init(metrics: ProxyMetrics, feed: InvalidationFeedStatus, store: any CacheStore, configuration: ProxyConfiguration, wallClock: @escaping @Sendable () -> Int64 = { SystemClock().nowMilliseconds() }, adminEvents: AdminEventStreams? = nil) {
        self.adminEvents = adminEvents
        self.metrics = metrics
        self.feed = feed
        self.store = store
        self.configuration = configuration
        self.wallClock = wallClock
    }

    /// Samples now and then every second on `loop` until `stop()`.
    public func start(on loop: EventLoop) {
        let task = loop.scheduleRepeatedTask(initialDelay: .zero, delay: .seconds(1)) { _ in self.sample() }
        sampler.withLock { $0 = task }
    }

    public func stop() {
        sampler.withLock { $0?.cancel(); $0 = nil }
    }

    /// Takes one sample of every counter (the sampler calls it every second).
    public func sample() {
        let sample = RateWindow.Sample(atMilliseconds: wallClock(), values: counters())
        window.withLock { $0.add(sample) }
    }

    /// Every counter by a stable dotted name (what `stat` lists).
    public func counters() -> [String: Int] {
        let m = metrics
        var c: [String: Int] = [:]
        var total = 0
        for outcome in CacheOutcome.allCases {
            let n = m.requestCount(outcome: outcome)
            c["requests.\(outcome.rawValue)"] = n
            total += n
        }
        c["requests.total"] = total
        for (i, counter) in m.responseClasses.enumerated() { c["responses.\(i + 1)xx"] = counter.count }
        let upstreamErrors = m.upstreamErrors.snapshot
        c["upstream.errors"] = upstreamErrors.values.reduce(0, +)
        for (kind, n) in upstreamErrors { c["upstream.errors.\(kind)"] = n }
        c["upstream.requests"] = m.upstreamLatency.snapshot.count
        c["redis.commands"] = m.redisLatency.snapshot.count
        c["redis.errors"] = m.redisErrors.count
        c["redis.circuit_opens"] = m.redisCircuitOpens.count
        c["redis.short_circuited"] = m.redisShortCircuited.count
        c["redis.timeouts_while_lagging"] = m.redisTimeoutsWhileLagging.count
        c["overload.episodes"] = m.overloadEpisodes.count
        c["feed.notifications"] = m.notificationsReceived.count
        c["feed.malformed"] = m.notificationsMalformed.count
        c["feed.tags_invalidated"] = m.tagsInvalidated.count
        c["feed.keys_invalidated"] = m.keysInvalidated.count
        c["feed.entries_invalidated"] = m.entriesInvalidated.count
        c["feed.reconnects"] = m.feedReconnects.count
        c["feed.read_your_writes_timeouts"] = m.readYourWritesTimeouts.count
        c["store.entries_stored"] = m.entriesStored.count
        c["store.bytes_stored"] = m.bytesStored.count
        c["store.bytes_saved_by_compression"] = m.bytesSavedByCompression.count
        c["store.fills_refused_stale"] = m.storeRefusedStale.count
        c["store.hot_tier_hits"] = m.hotTierHits.count
        c["store.fill_lock_waits"] = m.fillLockWaits.count
        c["store.fill_locks_left_behind"] = m.fillLocksLeftBehind.count
        c["store.refreshes_skipped"] = m.refreshesSkipped.count
        c["store.refreshes_queued"] = m.refreshesQueued.count
        c["http.not_modified"] = m.notModified.count
        c["http.inflates"] = m.inflatesPerRequest.count
        c["http.client_errors"] = m.clientErrors.snapshot.values.reduce(0, +)
        c["connections.rejected"] = m.connectionsRejected.count
        c["connections.timeouts"] = m.connectionTimeouts.snapshot.values.reduce(0, +)
        return c
    }

    /// Served from the cache (hit, stale) among cacheable requests (bypass excluded); nil without any.
    public static func hitRatio(hit: Double, stale: Double, miss: Double, coalesced: Double) -> Double? {
        let cacheable = hit + stale + miss + coalesced
        return cacheable > 0 ? (hit + stale) / cacheable : nil
    }

    /// The document.
    public func json() -> String {
        let m = metrics
        let counters = counters()
        let (rates1, rates10) = window.withLock { ($0.rates(spanMilliseconds: 1000), $0.rates(spanMilliseconds: 10000)) }
        func ratio(_ values: [String: Double]) -> Double? {
            Self.hitRatio(hit: values["requests.hit"] ?? 0, stale: values["requests.stale"] ?? 0, miss: values["requests.miss"] ?? 0, coalesced: values["requests.coalesced"] ?? 0)
        }
        var j = JSONWriter()
        j.open()
        j.field("version", 1)
        j.field("time_ms", Int(wallClock()))
        j.field("uptime_s", Double(MonotonicClock.nanoseconds() &- m.startedNanoseconds) / 1e9)
        j.key("instance"); j.open()
        j.field("listen", "\(configuration.listen.host):\(configuration.listen.port)")
        j.field("upstream", configuration.upstreamURL)
        j.field("store", store.kind)
        j.field("hot_tier", configuration.hotTierBytes > 0 && configuration.redisURL != nil)
        j.field("routes", m.routeNames.count)
        j.close()
        j.field("hit_ratio", Self.hitRatio(hit: Double(counters["requests.hit"]!), stale: Double(counters["requests.stale"]!), miss: Double(counters["requests.miss"]!), coalesced: Double(counters["requests.coalesced"]!)))
        j.field("hit_ratio_10s", ratio(rates10))
        j.key("counters"); j.object(counters.sorted { $0.key < $1.key }.map { ($0.key, Double($0.value)) })
        j.key("gauges"); j.open()
        j.field("connections.open", m.openConnections.current)
        j.field("feed.connected", m.feedConnected.current)
        j.field("redis.circuit_open", m.redisCircuitOpen.current)
        j.close()
        j.key("rates_1s"); j.object(rates1.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        j.key("rates_10s"); j.object(rates10.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        j.key("latency_ms"); j.open()
        j.key("all"); j.percentiles(LatencyBuckets.boundsSeconds, m.requestDurationAll.counts, sum: m.requestDurationAll.sumSeconds)
        for outcome in CacheOutcome.allCases {
            let s = m.requestDuration[outcome.metricIndex].snapshot
            j.key(outcome.rawValue); j.percentiles(LatencyBuckets.boundsSeconds, s.counts, sum: s.sumSeconds)
        }
        j.close()
        let upstreamErrors10s = rates10["upstream.errors"] ?? 0
        j.key("upstream"); j.open()
        j.field("state", upstreamErrors10s > 0 ? "failing" : "ok")
        j.key("errors_by_kind"); j.object(m.upstreamErrors.snapshot.sorted { $0.key < $1.key }.map { ($0.key, Double($0.value)) })
        let up = m.upstreamLatency.snapshot
        j.key("latency_ms"); j.percentiles(m.upstreamLatency.bounds, up.buckets, sum: up.sum)
        j.close()
        let circuit = (store as? CircuitBreakerStore)?.stateName
        j.key("redis"); j.open()
        j.field("kind", store.kind)
        j.field("circuit", circuit ?? "none")
        j.field("state", circuit == "open" || circuit == "half-open" ? "open" : (rates10["redis.errors"] ?? 0) > 0 ? "failing" : "ok")
        let redis = m.redisLatency.snapshot
        j.key("latency_ms"); j.percentiles(m.redisLatency.bounds, redis.buckets, sum: redis.sum)
        j.close()
        j.key("feed"); j.open()
        j.field("state", feed.state)
        let commit = m.commitToInvalidated.snapshot
        j.key("commit_to_invalidated_ms"); j.percentiles(m.commitToInvalidated.bounds, commit.buckets, sum: commit.sum)
        j.close()
        j.key("admin_events"); j.open()
        j.field("subscribers", m.edge.eventSubscribers.current)
        j.field("published", m.edge.eventsPublished.count)
        j.key("recent"); j.array(Array((adminEvents?.recent(20) ?? []).reversed())) { j, item in
            j.open()
            j.field("id", item.id)
            j.field("event", item.event.name)
            j.field("data", item.event.data)
            j.close()
        }
        j.close()
        j.key("hot_keys"); j.open()
        j.field("sample_every", m.hotKeys.sampleEvery)
        j.key("keys"); j.array(m.hotKeys.top(20)) { j, item in
            j.open()
            j.field("key", item.key)
            j.field("samples", item.count)
            j.field("error", item.error)
            j.field("estimated_requests", item.count * m.hotKeys.sampleEvery)
            j.close()
        }
        j.close()
        j.close()
        return j.text
    }
}

/// A small JSON writer: strings quoted by `HTTPServerJSON.quote`, non-finite numbers as null.
struct JSONWriter {
    private(set) var text = ""
    private var needsComma = false

    init() { text.reserveCapacity(8192) }

    private mutating func separator() {
        if needsComma { text += "," }
        needsComma = false
    }

    mutating func open() { separator(); text += "{" }
    mutating func close() { text += "}"; needsComma = true }
    mutating func key(_ k: String) { separator(); text += HTTPServerJSON.quote(k) + ":" }

    mutating func value(_ v: Double?) {
        separator()
        if let v, v.isFinite {
            // Six significant digits are plenty for a dashboard; integers stay integers.
            text += v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(Double(String(format: "%.6g", v)) ?? v)
        } else {
            text += "null"
        }
        needsComma = true
    }

    mutating func field(_ k: String, _ v: Double?) { key(k); value(v) }
    mutating func field(_ k: String, _ v: Int) { key(k); value(Double(v)) }
    mutating func field(_ k: String, _ v: Bool) { key(k); text += v ? "true" : "false"; needsComma = true }
    mutating func field(_ k: String, _ v: String) { key(k); text += HTTPServerJSON.quote(v); needsComma = true }

    mutating func object(_ pairs: [(String, Double)]) {
        open()
        for (k, v) in pairs { field(k, v) }
        close()
    }

    mutating func array<T>(_ items: [T], _ each: (inout JSONWriter, T) -> Void) {
        separator()
        text += "["
        for item in items { each(&self, item) }
        text += "]"
        needsComma = true
    }

    /// `{"count", "mean", "p50", "p90", "p99", "p999"}` in milliseconds from seconds buckets.
    mutating func percentiles(_ boundsSeconds: [Double], _ counts: [Int], sum: Double) {
        let count = counts.reduce(0, +)
        open()
        field("count", count)
        field("mean", count > 0 ? sum / Double(count) * 1000 : nil)
        for (name, q) in [("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("p999", 0.999)] {
            field(name, HistogramQuantile.quantile(q, bounds: boundsSeconds, counts: counts).map { $0 * 1000 })
        }
        close()
    }
}
