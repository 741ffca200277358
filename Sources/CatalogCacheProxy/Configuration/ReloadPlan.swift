/// What a reload applies: the new file's routes, caching and header settings, with every
/// setting that needs a restart (sockets, the store, the upstream pool, the invalidation
/// feed, connection limits) kept at its running value and named.
///
/// Invariant: `effective` differs from `running` only in the reloadable settings listed in
/// `reloadable`; every other difference between the file and `running` is in `keptForRestart`.
public struct ReloadPlan: Sendable {
    public var effective: ProxyConfiguration
    /// Settings the file changes that only a restart applies (their running values are kept).
    public var keptForRestart: [String]

    /// The settings a reload applies (the rest need a restart).
    public static let reloadable = [
        "routes", "cache_status_name", "compression", "limits.max_cached_object_bytes",
        "store.fill_lock_ms", "invalidation.feed_down_max_age_s", "upstream.health_probe_path",
        "limits.drain_delay_ms",
    ]

    public init(running: ProxyConfiguration, loaded: ProxyConfiguration) {
        var effective = running
        effective.routes = loaded.routes
        effective.cacheStatusName = loaded.cacheStatusName
        effective.compressionThresholdBytes = loaded.compressionThresholdBytes
        effective.compressionLevel = loaded.compressionLevel
        effective.maxCachedObjectBytes = loaded.maxCachedObjectBytes
        effective.fillLockMilliseconds = loaded.fillLockMilliseconds
        effective.feedDownMaxAgeSeconds = loaded.feedDownMaxAgeSeconds
        effective.upstreamHealthProbePath = loaded.upstreamHealthProbePath
        effective.drainDelayMilliseconds = loaded.drainDelayMilliseconds
        self.effective = effective

        var kept: [String] = []
        func check<T: Equatable>(_ name: String, _ path: KeyPath<ProxyConfiguration, T>) {
            if running[keyPath: path] != loaded[keyPath: path] { kept.append(name) }
        }
        check("listen", \.listen)
        check("admin_listen", \.adminListen)
        check("threads", \.threads)
        check("upstream.url", \.upstreamURL)
        check("upstream.connect_timeout_ms", \.upstreamConnectTimeoutMilliseconds)
        check("upstream.read_timeout_ms", \.upstreamReadTimeoutMilliseconds)
        check("upstream.total_timeout_ms", \.upstreamTotalTimeoutMilliseconds)
        check("upstream.max_connections_per_loop", \.upstreamMaxConnectionsPerLoop)
        check("upstream.max_background_refreshes", \.maxBackgroundRefreshes)
        check("upstream.max_queued_refreshes", \.maxQueuedRefreshes)
        check("upstream.unhealthy_after_failures", \.upstreamUnhealthyAfterFailures)
        check("upstream.tls_*", \.upstreamTLS)
        check("store.redis_url", \.redisURL)
        check("store.key_prefix", \.keyPrefix)
        check("store.memory_max_bytes", \.memoryStoreMaxBytes)
        check("store.redis_timeout_ms", \.redisTimeoutMilliseconds)
        check("store.hot_tier_bytes", \.hotTierBytes)
        check("store.identity_cache_bytes", \.identityCacheBytes)
        check("store.circuit_breaker_failures", \.circuitBreakerFailures)
        check("store.circuit_breaker_cooldown_ms", \.circuitBreakerCoolDownMilliseconds)
        check("limits.max_request_body_bytes", \.maxRequestBodyBytes)
        check("limits.max_connections", \.maxConnections)
        check("limits.idle_timeout_ms", \.idleTimeoutMilliseconds)
        check("limits.header_timeout_ms", \.headerTimeoutMilliseconds)
        check("limits.body_timeout_ms", \.bodyTimeoutMilliseconds)
        check("limits.shutdown_grace_ms", \.shutdownGraceMilliseconds)
        check("invalidation.database_url", \.databaseURL)
        check("invalidation.channel", \.notifyChannel)
        check("invalidation.tables", \.tables)
        keptForRestart = kept
    }
}
