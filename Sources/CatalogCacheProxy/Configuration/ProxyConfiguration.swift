import CatalogCacheCore

/// A `host:port` pair for a listening socket. IPv6 hosts are written in brackets (`[::1]:8080`).
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT` or `[V6]:PORT`. The port must be 0...65535 (0 picks a free port).
    public static func parse(_ text: String) -> ListenAddress? {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, let port = Int(portText), (0...65535).contains(port) else { return nil }
        return ListenAddress(host: String(host), port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// One table whose changes invalidate cached entries.
public struct InvalidatedTable: Sendable, Equatable {
    /// Table name in the catalog database (Medusa v2 naming).
    public var name: String
    /// Column whose value the trigger sends as `id`; `{id}` in the mapping's templates is replaced by it.
    public var idColumn: String
    public var mapping: TableMapping
    /// For a link or child table: SQL turning the changed rows' `idColumn` values (`$1`, a
    /// text array) into the ids `{id}` stands for (one text array), e.g. an inventory level's
    /// item into the products holding it. Run by the trigger, in the writer's transaction.
    public var idQuery: String?

    public init(name: String, idColumn: String = "id", mapping: TableMapping, idQuery: String? = nil) {
        self.name = name
        self.idColumn = idColumn
        self.mapping = mapping
        self.idQuery = idQuery
    }
}

/// The effective configuration of a proxy instance: the file, then environment, then flags.
///
/// Invariant: a value of this type has been validated (`ConfigurationLoader` is the only
/// producer outside tests), so every route compiled and every number is in range.
public struct ProxyConfiguration: Sendable {
    public var listen = ListenAddress(host: "127.0.0.1", port: 8080)
    public var adminListen = ListenAddress(host: "127.0.0.1", port: 8081)
    /// Host names the admin port answers to (`admin.allowed_hosts`); nil: the loopback
    /// names, plus the admin address's host when it is a specific one (not a wildcard).
    public var adminAllowedHosts: [String]?
    /// Bearer token the admin port requires (`admin.token`, `CACHE_ADMIN_TOKEN`); required
    /// when the admin address is not loopback.
    public var adminToken: String?
    /// Open connections on the admin port beyond which new ones are closed (`admin.max_connections`).
    public var adminMaxConnections = 128

    public var upstreamURL = "http://127.0.0.1:9000"
    public var upstreamConnectTimeoutMilliseconds = 2000
    public var upstreamReadTimeoutMilliseconds = 15000
    public var upstreamTotalTimeoutMilliseconds = 30000
    public var upstreamMaxConnectionsPerLoop = 64
    /// `upstream.health_probe_path`: a path `/readyz` asks the upstream for (GET) to report
    /// its health when set; nil: the health comes from the requests' own outcomes only.
    public var upstreamHealthProbePath: String?
    /// `upstream.unhealthy_after_failures`: consecutive failed upstream requests after which
    /// `/readyz` reports the upstream down (`UpstreamHealth`).
    public var upstreamUnhealthyAfterFailures = 5
    /// TLS options of an `https://` upstream (`upstream.tls_*`): CA file, server name, client
    /// certificate and key. Verification is always on.
    public var upstreamTLS = UpstreamTLS.Options()

    /// `nil`: the bounded in-process store is used.
    public var redisURL: String?
    /// TLS options for `rediss://` and `redis-sentinels://` (`store.redis_tls`): a CA file
    /// (nil: the system's trust store), a client certificate and key, the name to verify.
    public var redisTLSCAFile: String?
    public var redisTLSCertificateFile: String?
    public var redisTLSKeyFile: String?
    public var redisTLSServerName: String?
    /// False only when the file says `verify: false`; the server's certificate is then not checked.
    public var redisTLSVerify = true
    /// `AUTH` password for the sentinels of a `redis-sentinel://` URL (the URL's own
    /// credentials are the data nodes').
    public var redisSentinelPassword: String?
    public var keyPrefix = "catalog:"
    public var memoryStoreMaxBytes = 256 << 20
    public var redisTimeoutMilliseconds = 250
    /// Bytes of the in-process hot tier in front of the store; 0 turns it off.
    public var hotTierBytes = 0
    /// Inflated bodies of gzip entries kept for identity clients (`IdentityBodyCache`), in
    /// bytes; 0 inflates per identity request.
    public var identityCacheBytes = 16 << 20
    /// How long one instance holds the cross-instance fill lock for a cold key (Redis only);
    /// other instances wait for its fill up to this long. 0 turns the lock off.
    public var fillLockMilliseconds = 5000
    /// How often a fill waiting for another instance's reads the store while it can be woken
    /// by that fill's message (the safety net for a lost one).
    public var fillWaitFallbackMilliseconds = 1000
    /// Background refreshes of stale entries running at once per instance
    /// (`upstream.max_background_refreshes`); more wait (`RefreshQueue`). The default
    /// is a quarter of the default `max_connections_per_loop` (64), so that even on one loop
    /// client misses, which wait for the upstream, keep most of it, while stale answers (which
    /// do not wait) wait for their refresh. A fixed number, not derived from the pool's size.
    public var maxBackgroundRefreshes = 16
    /// Background refreshes that may wait for a running one to finish
    /// (`upstream.max_queued_refreshes`); beyond that they are skipped. 0: skipped at once.
    public var maxQueuedRefreshes = 1024

    /// Event-loop threads; 0 means one per core.
    public var threads = 0
    /// Consecutive Redis faults that open the circuit breaker (`store.circuit_breaker_failures`).
    public var circuitBreakerFailures = 5
    /// How long the breaker stays open before one probe (`store.circuit_breaker_cooldown_ms`).
    public var circuitBreakerCoolDownMilliseconds = 1000

    public var compressionThresholdBytes = 2048
    public var compressionLevel: Int32 = 6

    public var maxRequestBodyBytes = 10 << 20
    /// A request head (request line and fields) larger than this is refused with 431
    /// (`limits.max_request_head_bytes`).
    public var maxRequestHeadBytes = RequestHeadLimits.standard.maxHeadBytes
    /// One header field line larger than this is refused with 431 (`limits.max_header_field_bytes`).
    public var maxHeaderFieldBytes = RequestHeadLimits.standard.maxFieldLineBytes
    public var maxCachedObjectBytes = 8 << 20
    /// Open connections on the proxy port beyond which new ones are accepted and closed at once.
    public var maxConnections = 10_000
    /// Requests in progress on one event loop (waiting for Redis or the upstream) beyond which
    /// new reads not served from the hot tier are shed with `503` and `Retry-After: 1`
    /// (`limits.max_requests_in_progress_per_loop`, `LoadShedder`); writes are never shed.
    /// 0: off (the default: against clients that retry at once, shedding costs goodput).
    public var maxRequestsInProgressPerLoop = 0
    /// A keep-alive connection with no request in progress is closed after this long.
    public var idleTimeoutMilliseconds = 60_000
    /// Time allowed from a connection's first byte (or the previous response) to a complete request head.
    public var headerTimeoutMilliseconds = 10_000
    /// Time allowed from a complete request head to the end of its body.
    public var bodyTimeoutMilliseconds = 30_000
    /// On SIGTERM/SIGINT, how long in-flight requests may take before connections are closed.
    public var shutdownGraceMilliseconds = 10_000
    /// On SIGTERM, how long `/readyz` answers 503 (draining) while the listener still accepts
    /// and serves, before it closes (`limits.drain_delay_ms`): time for a load balancer to notice.
    public var drainDelayMilliseconds = 5_000

    /// `nil`: no invalidation feed, entries live until their TTL.
    public var databaseURL: String?
    public var notifyChannel = "catalog_cache"
    /// While the feed is configured but not listening, entries at least this many seconds old
    /// are treated as absent (refetched); nil: TTLs alone bound staleness. 0: no cached reads.
    public var feedDownMaxAgeSeconds: Int?
    public var tables: [InvalidatedTable] = []

    public var routes: [RouteRule] = []
    /// Route name to what its entries are tagged with beyond the route's tags (`entry_tags`).
    public var entryTagging: [String: EntryTagging] = [:]

    /// The longest any entry is kept (TTL plus its stale windows; a route in origin mode
    /// keeps entries at most its `ttl`): tag sets are kept this long after their last store.
    public var longestEntryLifetimeMilliseconds: Int64 {
        let seconds = routes.map { $0.ttl + max($0.staleWhileRevalidate, $0.staleIfError) }.max() ?? 0
        return max(1000, Int64(seconds) * 1000)
    }

    /// Edges purged after every applied invalidation (`cdn`).
    public var purge = PurgeConfiguration()
    /// Live admin events on the proxy port (`admin_events`).
    public var adminEvents = AdminEventsConfiguration()
    /// This cache's name in `Cache-Status` (RFC 9211) on every cacheable-route response
    /// (`cache_status_name`); an sf-token is sent as is, anything else quoted.
    public var cacheStatusName = "catalog-cache"

    /// Tests only (not read from the file): delay applying each notification by this much,
    /// to force a slow feed and prove read-your-writes does not depend on its speed.
    public var feedApplyDelayMillisecondsForTesting = 0

    public init() {}

    /// Who may use the admin port (`AdminAccessPolicy`).
    public var adminAccessPolicy: AdminAccessPolicy {
        var hosts = adminAllowedHosts ?? AdminAccessPolicy.loopbackHosts
        if adminAllowedHosts == nil, !["0.0.0.0", "::", "[::]", ""].contains(adminListen.host), !AdminAccessPolicy.isLoopback(adminListen.host) {
            hosts.append(adminListen.host.contains(":") ? "[\(adminListen.host)]" : adminListen.host)
        }
        return AdminAccessPolicy(allowedHosts: hosts, token: adminToken)
    }

    /// Why this configuration may not start its admin port, or nil: a non-loopback admin
    /// address needs a token.
    public var adminExposureProblem: String? {
        guard !AdminAccessPolicy.isLoopback(adminListen.host), adminToken == nil else { return nil }
        return "admin_listen \(adminListen) is not a loopback address: set admin.token (or CACHE_ADMIN_TOKEN) so /metrics and /stats.json need a bearer token"
    }

    /// The request head limits of the proxy port.
    public var requestHeadLimits: RequestHeadLimits {
        RequestHeadLimits(maxHeadBytes: maxRequestHeadBytes, maxFieldLineBytes: maxHeaderFieldBytes)
    }

    /// The table-to-tags map the invalidation feed resolves notifications with.
    public var invalidationMap: InvalidationMap {
        var byName: [String: TableMapping] = [:]
        for table in tables { byName[table.name] = table.mapping }
        return InvalidationMap(tables: byName)
    }
}
