import CatalogCacheCore
import Foundation
import Synchronization

/// Every counter the proxy exports on `/metrics`.
///
/// Invariant: each request served on the proxy port is counted exactly once in
/// `requests`, under its route (or `-` when no route matched) and its `CacheOutcome`.
public final class ProxyMetrics: Sendable {
    /// Names of the route rows in row order: the configured routes first, then routes that
    /// reloads added (a reload keeps the row of a route it keeps, by name, so its counters go
    /// on). Read only off the request path (rendering, reloads, tests).
    private let routeRowNames: Mutex<[String]>
    /// Route rows: the start-up routes plus `spareRouteRows` for routes added by reloads.
    public let routeRowCapacity: Int
    /// The row of requests that matched no route (after every route row).
    private let noRouteRow: Int
    /// One counter per (route row, outcome): atomics, so event loops never wait on each other.
    private let requests: [Counter]
    /// Whole-request latency per outcome (index: `CacheOutcome.metricIndex`), from the
    /// complete request to its response handed to the connection.
    public let requestDuration: [LatencyHistogram]
    /// Responses of the serve path by status class (1xx to 5xx).
    public let responseClasses: [Counter]
    /// The hottest keys, sampled.
    public let hotKeys: HotKeyTracker
    /// 1 while the Redis circuit breaker is open or half-open.
    public let redisCircuitOpen = Gauge()
    /// When the metrics (the instance) started, on the monotonic clock.
    public let startedNanoseconds = MonotonicClock.nanoseconds()
    public let upstreamLatency = Histogram()
    public let redisLatency = Histogram()
    public let upstreamErrors = LabeledCounter()
    public let redisErrors = Counter()
    /// Redis Cluster redirects the client followed or retried, by kind (`ClusterRedirect.kind`).
    public let redisClusterRedirects = LabeledCounter()
    /// Times the Redis circuit breaker opened (including reopening after a failed probe).
    public let redisCircuitOpens = Counter()
    /// Redis calls that timed out while the event loop lagged (`RedisError.timedOutWhileLoopLagged`):
    /// the proxy's overload, not counted against Redis by the circuit breaker.
    public let redisTimeoutsWhileLagging = Counter()
    /// Times an event loop started shedding reads (`LoadShedder`); the shed requests are
    /// counted under the `shed` outcome.
    public let overloadEpisodes = Counter()
    /// Store calls refused at once because the circuit was open (no Redis round trip).
    public let redisShortCircuited = Counter()
    /// Connections closed at once because `limits.max_connections` were already open.
    public let connectionsRejected = Counter()
    /// Connections closed for being idle, or too slow to send a request head or body.
    public let connectionTimeouts = LabeledCounter()
    /// Connections open on the proxy port.
    public let openConnections = Gauge()
    public let storeRefusedStale = Counter()
    /// Fills not stored because the body did not hold what the route's `entry_tags` read.
    public let entriesUntaggable = Counter()
    public let bytesStored = Counter()
    public let bytesSavedByCompression = Counter()
    public let entriesStored = Counter()
    public let notModified = Counter()
    public let revalidations = Counter()
    public let clientErrors = LabeledCounter()
    /// Requests passed to the upstream without the cache, by `BypassReason`.
    public let bypassReasons = LabeledCounter()
    public let inflatesPerRequest = Counter()
    public let hotTierHits = Counter()
    public let fillLockWaits = Counter()
    /// Store reads (the entry, or who holds the lock) by fills waiting for another's.
    public let fillWaitReads = Counter()
    /// Waits woken by a message that the fill they waited for dropped its lock.
    public let fillWaitWakes = Counter()
    /// Waits woken by their timer (the safety net; the poll when no subscription was made).
    public let fillWaitPolls = Counter()
    /// Fill locks found held under this instance's own name (left behind when their release
    /// was lost to a Redis failure), taken as free instead of waited for.
    public let fillLocksLeftBehind = Counter()
    /// Background refreshes dropped: `maxBackgroundRefreshes` were running and
    /// `maxQueuedRefreshes` waiting.
    public let refreshesSkipped = Counter()
    /// Background refreshes that waited for a slot (`maxBackgroundRefreshes` were running).
    public let refreshesQueued = Counter()
    // Invalidation feed
    public let notificationsReceived = Counter()
    public let notificationsMalformed = Counter()
    /// Row notifications for tables the configuration does not map: ignored.
    public let notificationsUnmapped = Counter()
    /// Notifications applied in the same drop as the one before them (a feed catching up).
    public let invalidationsMerged = Counter()
    /// Invalidations the store could not apply yet (`InvalidationDebts`): their entries are
    /// not served until it does.
    public let invalidationsOwed = Gauge()
    public let tagsInvalidated = Counter()
    public let keysInvalidated = Counter()
    public let entriesInvalidated = Counter()
    public let feedReconnects = Counter()
    public let feedConnected = Gauge()
    /// Read by the feed after every connect (`TriggerInspection`).
    public let tablesWithoutTriggers = Gauge()
    public let tablesOnGenericUpdatePath = Gauge()
    /// Finer buckets: this latency is expected in the tens to hundreds of microseconds.
    public let commitToInvalidated = Histogram(bounds: [
        0.00005, 0.0001, 0.0002, 0.0003, 0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 1,
    ])
    /// From a row notification's receipt by the listener to its invalidation applied: the
    /// proxy's own share of `commitToInvalidated` (the rest is PostgreSQL's commit and delivery).
    public let receivedToInvalidated = Histogram(bounds: [
        0.00005, 0.0001, 0.0002, 0.0003, 0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 1,
    ])
    public let readYourWritesTimeouts = Counter()
    /// Edge purges and live admin events.
    public let edge = EdgeMetrics()
    /// The configuration generation live (1 at start, +1 per applied reload).
    public let configGeneration = Gauge()
    /// Reloads by result (`applied`, `failed`).
    public let configReloads = LabeledCounter()
    /// Bytes read from (`ConnectionDeadlineHandler`) and written to (`ProxyHTTPHandler`, the 408s,
    /// event streams) proxy-port connections.
    public let clientBytesReceived = Counter()
    public let clientBytesSent = Counter()
    /// Body bytes of upstream responses (forwards and fills).
    public let upstreamBytesReceived = Counter()
    /// Wall-clock start of this instance, in seconds since the epoch (when /proc has none).
    public let startedAtSeconds = Date().timeIntervalSince1970

    public init(routeNames: [String], hotKeySampleEvery: Int = 64, spareRouteRows: Int = 64) {
        self.routeRowNames = Mutex(routeNames)
        self.routeRowCapacity = routeNames.count + spareRouteRows
        self.noRouteRow = routeRowCapacity
        self.requests = (0..<(routeRowCapacity + 1) * CacheOutcome.allCases.count).map { _ in Counter() }
        self.requestDuration = CacheOutcome.allCases.map { _ in LatencyHistogram() }
        self.responseClasses = (1...5).map { _ in Counter() }
        self.hotKeys = HotKeyTracker(sampleEvery: hotKeySampleEvery)
    }

    /// Counts one request of the serve path (`routeIndex` nil: no configured route matched),
    /// with its latency (from `startedNanoseconds` on
    /// `MonotonicClock`), its status class, and, one time in `hotKeys.sampleEvery`, its key
    /// (empty: not a cacheable request) in the hot-key table. Costs a clock read and three
    /// relaxed atomic adds; no lock, allocation or string work unless sampled.
    @inline(__always)
    public func recordRequest(routeIndex: Int?, outcome: CacheOutcome, status: UInt, startedNanoseconds: UInt64, key: String) {
        requests[(routeIndex ?? noRouteRow) &* CacheOutcome.metricCount &+ outcome.metricIndex].increment()
        let now = MonotonicClock.nanoseconds()
        requestDuration[outcome.metricIndex].observe(nanoseconds: Int(truncatingIfNeeded: now &- startedNanoseconds))
        responseClasses[Int(min(max(status / 100, 1), 5)) &- 1].increment()
        if hotKeys.samples(now), !key.isEmpty { hotKeys.record(key, now: now) }
    }

    /// Every route name that has a row, in row order.
    public var routeNames: [String] { routeRowNames.withLock { $0 } }

    /// The row of each of `names` (the `routeIndex` of its requests): its existing row, or a
    /// new one. Nil when there are not enough rows left (the caller refuses the reload).
    public func routeRows(for names: [String]) -> [Int]? {
        routeRowNames.withLock { rows in
            var assigned = rows
            let result = names.map { name -> Int in
                if let row = assigned.firstIndex(of: name) { return row }
                assigned.append(name)
                return assigned.count - 1
            }
            guard assigned.count <= routeRowCapacity else { return nil }
            rows = assigned
            return result
        }
    }

    /// Requests counted for `route` (a route name, or "-") and `outcome`.
    public func requestCount(route: String, outcome: CacheOutcome) -> Int {
        let row = routeRowNames.withLock { $0.firstIndex(of: route) } ?? noRouteRow
        return requests[row * CacheOutcome.allCases.count + outcome.metricIndex].count
    }

    /// Requests counted for `outcome` over every route.
    public func requestCount(outcome: CacheOutcome) -> Int {
        stride(from: outcome.metricIndex, to: requests.count, by: CacheOutcome.allCases.count).reduce(0) { $0 + requests[$1].count }
    }

    /// Whole-request latency over every outcome: per-bucket counts and the sum in seconds.
    public var requestDurationAll: (counts: [Int], sumSeconds: Double) {
        requestDuration.map(\.snapshot).reduce((Array(repeating: 0, count: LatencyBuckets.count), 0.0)) { total, h in
            (zip(total.0, h.counts).map { $0 + $1 }, total.1 + h.sumSeconds)
        }
    }

    /// The Prometheus text exposition (format 0.0.4).
    public func render() -> String {
        var out = ""
        out.reserveCapacity(8192)
        let counts = requests.map(\.count)
        out += "# HELP catalog_cache_requests_total Requests on the proxy port by route and cache outcome.\n"
        out += "# TYPE catalog_cache_requests_total counter\n"
        let width = CacheOutcome.allCases.count
        let rows = routeNames
        for (row, route) in zip(Array(rows.indices) + [noRouteRow], rows + ["-"]) {
            for (column, outcome) in CacheOutcome.allCases.enumerated() {
                out += "catalog_cache_requests_total{route=\"\(route)\",outcome=\"\(outcome.rawValue)\"} \(counts[row * width + column])\n"
            }
        }
        out += "# HELP catalog_cache_request_duration_seconds Requests on the proxy port, from the complete request to the response handed to the connection, by cache outcome.\n"
        out += "# TYPE catalog_cache_request_duration_seconds histogram\n"
        for outcome in CacheOutcome.allCases {
            let s = requestDuration[outcome.metricIndex].snapshot
            var cumulative = 0
            for (i, bound) in LatencyBuckets.boundsSeconds.enumerated() {
                cumulative += s.counts[i]
                out += "catalog_cache_request_duration_seconds_bucket{outcome=\"\(outcome.rawValue)\",le=\"\(bound)\"} \(cumulative)\n"
            }
            cumulative += s.counts[LatencyBuckets.count - 1]
            out += "catalog_cache_request_duration_seconds_bucket{outcome=\"\(outcome.rawValue)\",le=\"+Inf\"} \(cumulative)\n"
            out += "catalog_cache_request_duration_seconds_sum{outcome=\"\(outcome.rawValue)\"} \(s.sumSeconds)\n"
            out += "catalog_cache_request_duration_seconds_count{outcome=\"\(outcome.rawValue)\"} \(cumulative)\n"
        }
        out += "# HELP catalog_cache_responses_total Responses of the serve path by status class.\n# TYPE catalog_cache_responses_total counter\n"
        for (i, c) in responseClasses.enumerated() { out += "catalog_cache_responses_total{class=\"\(i + 1)xx\"} \(c.count)\n" }
        Histogram.render(&out, "catalog_cache_upstream_request_duration_seconds", "Upstream request latency.", upstreamLatency)
        Histogram.render(&out, "catalog_cache_redis_command_duration_seconds", "Redis command latency.", redisLatency)
        labeled(&out, "catalog_cache_upstream_errors_total", "Upstream failures by kind.", "kind", upstreamErrors)
        labeled(&out, "catalog_cache_client_errors_total", "Requests the proxy refused, by reason.", "reason", clientErrors)
        labeled(&out, "catalog_cache_bypass_total", "Requests passed to the upstream without the cache, by reason.", "reason", bypassReasons)
        counter(&out, "catalog_cache_redis_errors_total", "Redis commands that failed or timed out (served from the upstream instead).", redisErrors)
        labeled(&out, "catalog_cache_redis_cluster_redirects_total", "Redis Cluster redirects followed (moved, ask) or retried (tryagain, clusterdown), by kind.", "kind", redisClusterRedirects)
        counter(&out, "catalog_cache_redis_circuit_opens_total", "Times the Redis circuit breaker opened (calls then fail fast for a cool-down).", redisCircuitOpens)
        out += "# HELP catalog_cache_redis_circuit_open 1 while the Redis circuit breaker is open or half-open.\n# TYPE catalog_cache_redis_circuit_open gauge\n"
        out += "catalog_cache_redis_circuit_open \(redisCircuitOpen.current)\n"
        counter(&out, "catalog_cache_redis_short_circuited_total", "Store calls refused without a Redis round trip while the circuit was open.", redisShortCircuited)
        counter(&out, "catalog_cache_redis_timeouts_while_lagging_total", "Redis calls that timed out while the event loop lagged (proxy overload; not counted against Redis by the circuit breaker).", redisTimeoutsWhileLagging)
        counter(&out, "catalog_cache_overload_episodes_total", "Times an event loop started shedding reads (limits.max_requests_in_progress_per_loop reached).", overloadEpisodes)
        counter(&out, "catalog_cache_connections_rejected_total", "Connections closed at once because max_connections were open.", connectionsRejected)
        labeled(&out, "catalog_cache_connection_timeouts_total", "Connections closed by a timeout, by kind (idle, header, body).", "kind", connectionTimeouts)
        out += "# HELP catalog_cache_open_connections Connections open on the proxy port.\n# TYPE catalog_cache_open_connections gauge\n"
        out += "catalog_cache_open_connections \(openConnections.current)\n"
        counter(&out, "catalog_cache_entries_stored_total", "Entries written to the store.", entriesStored)
        counter(&out, "catalog_cache_bytes_stored_total", "Bytes of entries written to the store.", bytesStored)
        counter(&out, "catalog_cache_bytes_saved_by_compression_total", "Identity bytes minus stored gzip bytes, over stored entries.", bytesSavedByCompression)
        counter(&out, "catalog_cache_fills_refused_stale_total", "Fills not stored because an invalidation arrived during the fetch.", storeRefusedStale)
        counter(&out, "catalog_cache_fills_untaggable_total", "Fills not stored because their body did not hold the ids the route's entry_tags read.", entriesUntaggable)
        counter(&out, "catalog_cache_not_modified_total", "304 answers to If-None-Match.", notModified)
        counter(&out, "catalog_cache_revalidations_total", "Origin-controlled entries revalidated by a 304 from the upstream.", revalidations)
        counter(&out, "catalog_cache_inflates_total", "Gzip-stored bodies inflated for identity clients.", inflatesPerRequest)
        counter(&out, "catalog_cache_hot_tier_hits_total", "Lookups answered by the in-process hot tier.", hotTierHits)
        counter(&out, "catalog_cache_fill_lock_waits_total", "Misses that waited for another instance's fill.", fillLockWaits)
        counter(&out, "catalog_cache_fill_wait_reads_total", "Store reads (entry or lock holder) by fills waiting for another's.", fillWaitReads)
        counter(&out, "catalog_cache_fill_wait_wakes_total", "Waits for another fill woken by its message.", fillWaitWakes)
        counter(&out, "catalog_cache_fill_wait_polls_total", "Waits for another fill woken by their timer (a lost message, or no subscription).", fillWaitPolls)
        counter(&out, "catalog_cache_refreshes_skipped_total", "Background refreshes of stale entries dropped because the most allowed were running and the most allowed were waiting.", refreshesSkipped)
        counter(&out, "catalog_cache_refreshes_queued_total", "Background refreshes of stale entries that waited for one running to finish.", refreshesQueued)
        counter(&out, "catalog_cache_fill_locks_left_behind_total", "Fill locks found held under this instance's own name (release lost to a Redis failure), not waited for.", fillLocksLeftBehind)
        counter(&out, "catalog_cache_notifications_total", "Invalidation notifications received.", notificationsReceived)
        counter(&out, "catalog_cache_notifications_malformed_total", "Notifications that could not be parsed.", notificationsMalformed)
        counter(&out, "catalog_cache_notifications_unmapped_total", "Row notifications for tables the configuration does not map (ignored).", notificationsUnmapped)
        counter(&out, "catalog_cache_invalidations_merged_total", "Notifications applied in one drop with the one before them (the feed catching up).", invalidationsMerged)
        out += "# HELP catalog_cache_invalidations_owed Invalidations the store could not apply yet; what they cover is not served.\n# TYPE catalog_cache_invalidations_owed gauge\n"
        out += "catalog_cache_invalidations_owed \(invalidationsOwed.current)\n"
        counter(&out, "catalog_cache_tags_invalidated_total", "Tags invalidated.", tagsInvalidated)
        counter(&out, "catalog_cache_keys_invalidated_total", "Keys invalidated by name.", keysInvalidated)
        counter(&out, "catalog_cache_entries_invalidated_total", "Entries removed by invalidation.", entriesInvalidated)
        counter(&out, "catalog_cache_feed_reconnects_total", "Reconnections of the invalidation feed.", feedReconnects)
        counter(&out, "catalog_cache_read_your_writes_timeouts_total", "Writes answered before their invalidations were confirmed.", readYourWritesTimeouts)
        out += "# HELP catalog_cache_feed_connected 1 when the invalidation feed is listening.\n# TYPE catalog_cache_feed_connected gauge\n"
        out += "catalog_cache_feed_connected \(feedConnected.current)\n"
        out += "# HELP catalog_cache_tables_without_triggers Mapped tables in the database lacking some of install-triggers' triggers (at the feed's last connect).\n# TYPE catalog_cache_tables_without_triggers gauge\n"
        out += "catalog_cache_tables_without_triggers \(tablesWithoutTriggers.current)\n"
        out += "# HELP catalog_cache_tables_generic_update_path Described tables whose UPDATEs take the generic path where install-triggers would compile them (at the feed's last connect).\n# TYPE catalog_cache_tables_generic_update_path gauge\n"
        out += "catalog_cache_tables_generic_update_path \(tablesOnGenericUpdatePath.current)\n"
        Histogram.render(&out, "catalog_cache_commit_to_invalidated_seconds", "From the commit-side timestamp to the invalidation applied.", commitToInvalidated)
        Histogram.render(&out, "catalog_cache_received_to_invalidated_seconds", "From a row notification's receipt to its invalidation applied (the proxy's share).", receivedToInvalidated)
        edge.render(into: &out)
        out += "# HELP catalog_cache_config_generation The configuration generation live: 1 at start, +1 per applied reload.\n# TYPE catalog_cache_config_generation gauge\n"
        out += "catalog_cache_config_generation \(configGeneration.current)\n"
        out += "# HELP catalog_cache_config_reloads_total Configuration reloads (SIGHUP, catalog-cache reload) by result.\n# TYPE catalog_cache_config_reloads_total counter\n"
        for result in ["applied", "failed"] { out += "catalog_cache_config_reloads_total{result=\"\(result)\"} \(configReloads.count(result))\n" }
        counter(&out, "catalog_cache_client_bytes_received_total", "Bytes received on proxy-port connections.", clientBytesReceived)
        counter(&out, "catalog_cache_client_bytes_sent_total", "Bytes sent on proxy-port connections.", clientBytesSent)
        counter(&out, "catalog_cache_upstream_bytes_received_total", "Body bytes of upstream responses (forwards and fills).", upstreamBytesReceived)
        out += "# HELP catalog_cache_build_info The running build: version and commit.\n# TYPE catalog_cache_build_info gauge\n"
        out += "catalog_cache_build_info{version=\"\(BuildInfo.version)\",commit=\"\(BuildInfo.commit)\"} 1\n"
        ProcessMetrics.render(into: &out, fallbackStart: startedAtSeconds)
        return out
    }

    private func counter(_ out: inout String, _ name: String, _ help: String, _ c: Counter) {
        out += "# HELP \(name) \(help)\n# TYPE \(name) counter\n\(name) \(c.count)\n"
    }

    private func labeled(_ out: inout String, _ name: String, _ help: String, _ label: String, _ c: LabeledCounter) {
        out += "# HELP \(name) \(help)\n# TYPE \(name) counter\n"
        for (value, n) in c.snapshot.sorted(by: { $0.key < $1.key }) { out += "\(name){\(label)=\"\(value)\"} \(n)\n" }
    }
}

extension CacheOutcome {
    /// `allCases.count`, as a constant.
    public static let metricCount = 6

    /// The position in `allCases` (a switch: no hashing on the request path).
    @inline(__always)
    public var metricIndex: Int {
        switch self {
        case .hit: 0
        case .stale: 1
        case .miss: 2
        case .coalesced: 3
        case .bypass: 4
        case .shed: 5
        }
    }
}
