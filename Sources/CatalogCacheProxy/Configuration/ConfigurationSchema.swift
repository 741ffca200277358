import CatalogCacheCore

/// Every field of `catalog-cache.yaml`, once: its path, type, range, default, doc and
/// reload behaviour. The loader takes its allowed keys and ranges from here, the
/// effective-configuration report and `ReloadPlan` iterate it, and
/// `ConfigurationReference` renders it into `docs/configuration.md`.
///
/// Defaults of stored fields are read from `ProxyConfiguration()`, so they are written once,
/// in that struct; the limits of route times live in `RouteRule` (Core checks them too).
public enum ConfigurationSchema {
    /// In file order: sections, then the fields under them.
    public static let fields: [ConfigurationField] = general + upstream + store + limits + invalidation + routes + edge

    /// The field at `path` (`routes[].ttl`), if there is one.
    public static func field(_ path: String) -> ConfigurationField? { byPath[path] }

    /// The keys a mapping at `parent` may hold.
    public static func keys(under parent: String) -> Set<String> { keysByParent[parent] ?? [] }

    private static let byPath = Dictionary(uniqueKeysWithValues: fields.map { ($0.path, $0) })
    private static let keysByParent = Dictionary(grouping: fields, by: \.parent).mapValues { Set($0.map(\.key)) }

    static let general: [ConfigurationField] = [
        .address("listen", \.listen, "Proxy port (`--listen`)."),
        .address("admin_listen", \.adminListen, "Admin port: `/metrics`, `/healthz`, `/livez`, `/readyz`, `POST /reload` (`--admin-listen`); must differ from `listen`."),
        .integer("threads", \.threads, 0...256, "Event-loop threads; 0 = one per core."),
        .text("cache_status_name", \.cacheStatusName, reload: .applied, "This cache's name in `Cache-Status` (RFC 9211): 1 to 64 printable ASCII characters.") { name in
            name.utf8.count <= 64 && CacheStatus.member(name: name) != nil ? nil : "must be 1 to 64 printable ASCII characters (a Cache-Status cache name)"
        },
        .section("admin", "Who may use the admin port."),
        .stored(
            "admin.allowed_hosts", .textList, \.adminAllowedHosts, reload: .restart, default: "the loopback names, plus `admin_listen`'s host when specific",
            "Host names the admin port answers to.", show: { $0.map { $0.joined(separator: ", ") } ?? "unset: loopback names" }
        ) { r, node, field, c throws(ConfigurationError) in
            let hosts = try r.strings(node, field)
            guard !hosts.isEmpty, hosts.allSatisfy({ !$0.isEmpty && !$0.contains(where: { $0.isWhitespace || $0 == "/" }) }) else {
                throw r.fail(node, field, "must be a non-empty list of host names")
            }
            c.adminAllowedHosts = hosts
        },
        .optionalText("admin.token", \.adminToken, secret: true, "Bearer token the admin port requires (`CACHE_ADMIN_TOKEN` wins); at least 16 characters; required when `admin_listen` is not loopback.") { token in
            token.utf8.count < 16 || token.contains(where: { $0.isWhitespace }) ? "must be at least 16 characters without spaces" : nil
        },
        .integer("admin.max_connections", \.adminMaxConnections, 1...100_000, "Open admin connections at most."),
        .section("compression", "Bodies stored gzip."),
        .integer("compression.threshold_bytes", \.compressionThresholdBytes, 0...(1 << 30), reload: .applied, "Bodies at or above this are stored gzip."),
        .integer("compression.level", \.compressionLevel, 1...9, reload: .applied, "zlib level of stored gzip bodies."),
    ]

    static let upstream: [ConfigurationField] = [
        .section("upstream", "The catalog backend."),
        .text("upstream.url", \.upstreamURL, type: .url, "`http://` or `https://` URL of the backend (`--upstream`, `UPSTREAM_URL` win).", check: ConfigurationValidation.upstreamURLProblem),
        .integer("upstream.connect_timeout_ms", \.upstreamConnectTimeoutMilliseconds, 1...600_000, "Time to open a connection."),
        .integer("upstream.read_timeout_ms", \.upstreamReadTimeoutMilliseconds, 1...3_600_000, "Longest silence from the upstream while a response is due."),
        .integer("upstream.total_timeout_ms", \.upstreamTotalTimeoutMilliseconds, 1...3_600_000, "Longest a whole upstream exchange may take."),
        .integer("upstream.max_connections_per_loop", \.upstreamMaxConnectionsPerLoop, 1...10_000, "Pooled connections per event loop."),
        .integer("upstream.max_background_refreshes", \.maxBackgroundRefreshes, 1...10_000, "Refreshes of stale entries running at once; more wait their turn."),
        .integer("upstream.max_queued_refreshes", \.maxQueuedRefreshes, 0...1_000_000, "Refreshes waiting at most; more are skipped (0 = skip at once)."),
        .optionalText("upstream.health_probe_path", \.upstreamHealthProbePath, reload: .applied, "A path `/readyz` also GETs for the upstream's state; unset: requests' outcomes only.") { path in
            !path.hasPrefix("/") || path.contains(where: { $0.isWhitespace || $0.isNewline }) || path.utf8.count > 1024 ? "must be a path starting with / (no spaces), got \"\(path)\"" : nil
        },
        .integer("upstream.unhealthy_after_failures", \.upstreamUnhealthyAfterFailures, 1...1_000_000, "`/readyz` reports the upstream down after this many failed requests in a row."),
        .optionalText("upstream.tls_ca_file", \.upstreamTLS.caFile, "PEM file of the CAs an `https://` upstream is verified against; unset: the system's."),
        .optionalText("upstream.tls_server_name", \.upstreamTLS.serverName, "Name to verify instead of the URL's host.") { name in
            name.isEmpty || name.contains(where: { $0.isWhitespace || $0 == "/" }) ? "must be a host name" : nil
        },
        .optionalText("upstream.tls_client_certificate_file", \.upstreamTLS.clientCertificateFile, "Client certificate (PEM) for mutual TLS."),
        .optionalText("upstream.tls_client_key_file", \.upstreamTLS.clientKeyFile, "Its private key (PEM)."),
    ]

    static let store: [ConfigurationField] = [
        .section("store", "Where entries are kept."),
        .optionalText("store.redis_url", \.redisURL, type: .url, unset: "unset: the bounded in-process store", "`redis://`, `rediss://`, `redis-sentinel://`, `redis-sentinels://`, `redis-cluster://` or `rediss-cluster://` URL (`--redis`, `CACHE_REDIS_URL` win).", check: ConfigurationValidation.redisURLProblem),
        .section("store.redis_tls", "TLS to `rediss://`, `redis-sentinels://` and `rediss-cluster://` servers; verified by default. Refused beside a URL without TLS.") { r, node, c throws(ConfigurationError) in
            if (c.redisTLSCertificateFile == nil) != (c.redisTLSKeyFile == nil) { throw r.fail(node, "store.redis_tls", "cert_file and key_file go together") }
        },
        .optionalText("store.redis_tls.ca_file", \.redisTLSCAFile, "CA file (PEM); unset: the system's trust store."),
        .optionalText("store.redis_tls.cert_file", \.redisTLSCertificateFile, "Client certificate (mutual TLS), with `key_file`."),
        .optionalText("store.redis_tls.key_file", \.redisTLSKeyFile, "Its private key."),
        .optionalText("store.redis_tls.server_name", \.redisTLSServerName, "Name to verify instead of the host connected to (on a cluster: every node, instead of its announced name or address).") { name in
            ConfigurationValidation.serverNameProblem(name)
        },
        .boolean("store.redis_tls.verify", \.redisTLSVerify, "`false` skips checking the server's certificate."),
        .optionalText("store.redis_sentinel_password", \.redisSentinelPassword, secret: true, "The sentinels' own `AUTH` password (the URL's credentials are the data nodes')."),
        .text("store.key_prefix", \.keyPrefix, "Prefix of every key the proxy writes; at most 64 characters, no spaces.") { prefix in
            prefix.utf8.count <= 64 && !prefix.contains(where: { $0.isWhitespace }) ? nil : "must be at most 64 characters without spaces"
        },
        .integer("store.memory_max_bytes", \.memoryStoreMaxBytes, 1024...(1 << 40), "Bound of the in-process store used when there is no Redis."),
        .integer("store.redis_timeout_ms", \.redisTimeoutMilliseconds, 1...60_000, "Per command; a slow Redis fails open to the upstream."),
        .integer("store.hot_tier_bytes", \.hotTierBytes, 0...(1 << 40), "In-process tier in front of Redis for the hottest entries; 0 = off."),
        .integer("store.identity_cache_bytes", \.identityCacheBytes, 0...(1 << 40), "Inflated bodies of gzip entries kept for identity clients; 0 = inflate per request."),
        .integer("store.fill_lock_ms", \.fillLockMilliseconds, 0...600_000, reload: .applied, "Cross-instance lock on a cold key (Redis only): one instance fills, others wait; 0 = off."),
        .integer("store.fill_wait_fallback_ms", \.fillWaitFallbackMilliseconds, 10...600_000, reload: .applied, "A fill waiting for another instance's is woken by its message; it also reads this often in case one is lost."),
        .integer("store.circuit_breaker_failures", \.circuitBreakerFailures, 1...1_000_000, "Consecutive Redis faults that open the circuit (calls then fail fast)."),
        .integer("store.circuit_breaker_cooldown_ms", \.circuitBreakerCoolDownMilliseconds, 1...3_600_000, "Open this long, then one probe call decides."),
    ]

    static let limits: [ConfigurationField] = [
        .section("limits", "Bounds on clients and connections.") { r, node, c throws(ConfigurationError) in
            if c.maxHeaderFieldBytes > c.maxRequestHeadBytes {
                throw r.fail(node, "limits.max_header_field_bytes", "must be at most limits.max_request_head_bytes (\(c.maxRequestHeadBytes))")
            }
        },
        .integer("limits.max_request_body_bytes", \.maxRequestBodyBytes, 1...(1 << 31), "Larger request bodies are refused with 413."),
        .integer("limits.max_request_head_bytes", \.maxRequestHeadBytes, 1024...(1 << 20), "Request line and headers; 431 beyond."),
        .integer("limits.max_header_field_bytes", \.maxHeaderFieldBytes, 1024...(1 << 20), "One header line; 431 beyond. At most `max_request_head_bytes`."),
        .integer("limits.max_cached_object_bytes", \.maxCachedObjectBytes, 1...(1 << 31), reload: .applied, "Larger bodies are passed through, never stored."),
        .integer("limits.max_connections", \.maxConnections, 1...1_000_000, "Beyond it new connections are accepted and closed at once."),
        .integer("limits.max_requests_in_progress_per_loop", \.maxRequestsInProgressPerLoop, 0...1_000_000, reload: .applied, "Reads waiting for Redis or the origin per event loop beyond which more are shed (503, `Retry-After: 1`); 0: never shed."),
        .integer("limits.idle_timeout_ms", \.idleTimeoutMilliseconds, 1...86_400_000, "A keep-alive connection with no request in progress is closed after this."),
        .integer("limits.header_timeout_ms", \.headerTimeoutMilliseconds, 1...3_600_000, "To receive a complete request head (slowloris): 408 or close."),
        .integer("limits.body_timeout_ms", \.bodyTimeoutMilliseconds, 1...86_400_000, "From the request head to the end of its body: 408."),
        .integer("limits.shutdown_grace_ms", \.shutdownGraceMilliseconds, 0...3_600_000, "After the listeners close, in-flight requests may finish within this."),
        .integer("limits.drain_delay_ms", \.drainDelayMilliseconds, 0...3_600_000, reload: .applied, "On SIGTERM, `/readyz` answers 503 this long before the listeners close."),
    ]
}
