import CatalogCacheCore
import Foundation
import Yams

/// Reads `catalog-cache.yaml` into a validated `ProxyConfiguration`.
///
/// Unknown fields are errors (a typo must not silently fall back to a default), and every
/// error names the file, the line and the field.
public enum ConfigurationLoader {
    /// Loads and validates the file at `path`.
    public static func load(path: String) throws(ConfigurationError) -> ProxyConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError(file: path, field: "", message: "cannot read the file (\(error.localizedDescription))")
        }
        return try parse(yaml: text, file: path)
    }

    /// Parses and validates YAML text. `file` only labels errors.
    public static func parse(yaml: String, file: String? = nil) throws(ConfigurationError) -> ProxyConfiguration {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw ConfigurationError(file: file, line: yamlErrorLine(error), field: "", message: "not valid YAML: \(yamlErrorProblem(error))")
        } catch {
            throw ConfigurationError(file: file, field: "", message: "not valid YAML: \(error)")
        }
        var reader = NodeReader(file: file)
        // An empty or comment-only document (a truncated file, say) is not "all defaults":
        // with no routes the proxy would cache nothing, silently.
        guard let root else { throw ConfigurationError(file: file, line: 1, field: "routes", message: "is required: the file has no configuration (empty or only comments)") }
        return try reader.configuration(root)
    }

    private static func yamlErrorLine(_ error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _): return mark.line
        default: return nil
        }
    }

    private static func yamlErrorProblem(_ error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _): return problem
        default: return "\(error)"
        }
    }
}

/// Walks the YAML tree with type checks that report the field and line.
struct NodeReader {
    let file: String?

    func fail(_ node: Node?, _ field: String, _ message: String) -> ConfigurationError {
        ConfigurationError(file: file, line: node?.mark?.line, field: field, message: message)
    }

    func mapping(_ node: Node, _ field: String, allowed: Set<String>) throws(ConfigurationError) -> [(String, Node)] {
        guard let map = node.mapping else { throw fail(node, field, "must be a mapping") }
        var pairs: [(String, Node)] = []
        for (key, value) in map {
            guard let name = key.string else { throw fail(key, field, "keys must be strings") }
            let path = field.isEmpty ? name : "\(field).\(name)"
            guard allowed.contains(name) else {
                throw fail(key, path, "unknown field (expected one of: \(allowed.sorted().joined(separator: ", ")))")
            }
            pairs.append((name, value))
        }
        return pairs
    }

    func string(_ node: Node, _ field: String) throws(ConfigurationError) -> String {
        guard let scalar = node.scalar else { throw fail(node, field, "must be a string") }
        return scalar.string
    }

    func optionalString(_ node: Node, _ field: String) throws(ConfigurationError) -> String? {
        if case .scalar(let s) = node, s.string == "null" || s.string == "~" || s.string.isEmpty, s.style == .plain { return nil }
        return try string(node, field)
    }

    func int(_ node: Node, _ field: String, _ range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        guard node.scalar != nil, let value = node.int else { throw fail(node, field, "must be an integer") }
        guard range.contains(value) else {
            throw fail(node, field, "must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
        }
        return value
    }

    func bool(_ node: Node, _ field: String) throws(ConfigurationError) -> Bool {
        guard node.scalar != nil, let value = node.bool else { throw fail(node, field, "must be true or false") }
        return value
    }

    func strings(_ node: Node, _ field: String) throws(ConfigurationError) -> [String] {
        guard let sequence = node.sequence else { throw fail(node, field, "must be a list") }
        var out: [String] = []
        for (i, item) in sequence.enumerated() { out.append(try string(item, "\(field)[\(i)]")) }
        return out
    }

    func listen(_ node: Node, _ field: String) throws(ConfigurationError) -> ListenAddress {
        let text = try string(node, field)
        guard let address = ListenAddress.parse(text) else { throw fail(node, field, "must be HOST:PORT, got \"\(text)\"") }
        return address
    }

    mutating func configuration(_ root: Node) throws(ConfigurationError) -> ProxyConfiguration {
        var config = ProxyConfiguration()
        let top: Set = ["listen", "admin_listen", "admin", "threads", "upstream", "store", "compression", "limits", "invalidation", "routes", "cdn", "admin_events", "cache_status_name"]
        var sawRoutes = false
        for (name, value) in try mapping(root, "", allowed: top) {
            switch name {
            case "listen": config.listen = try listen(value, name)
            case "admin_listen": config.adminListen = try listen(value, name)
            case "admin": try admin(value, into: &config)
            case "threads": config.threads = try int(value, name, 0...256)
            case "upstream": try upstream(value, into: &config)
            case "store": try store(value, into: &config)
            case "compression":
                for (key, node) in try mapping(value, name, allowed: ["threshold_bytes", "level"]) {
                    if key == "threshold_bytes" { config.compressionThresholdBytes = try int(node, "compression.threshold_bytes", 0...(1 << 30)) }
                    if key == "level" { config.compressionLevel = Int32(try int(node, "compression.level", 1...9)) }
                }
            case "limits":
                try limits(value, into: &config)
            case "invalidation": try invalidation(value, into: &config)
            case "cdn": config.purge = try purge(value)
            case "admin_events": config.adminEvents = try adminEvents(value)
            case "routes":
                sawRoutes = true
                (config.routes, config.entryTagging) = try routesAndTagging(value)
            case "cache_status_name":
                let cacheName = try string(value, name)
                guard cacheName.utf8.count <= 64, CacheStatus.member(name: cacheName) != nil else {
                    throw fail(value, name, "must be 1 to 64 printable ASCII characters (a Cache-Status cache name)")
                }
                config.cacheStatusName = cacheName
            default: break
            }
        }
        if !sawRoutes { throw fail(root, "routes", "is required: at least one route") }
        if config.maxHeaderFieldBytes > config.maxRequestHeadBytes {
            throw fail(root, "limits.max_header_field_bytes", "must be at most limits.max_request_head_bytes (\(config.maxRequestHeadBytes))")
        }
        if config.listen == config.adminListen, config.listen.port != 0 {
            throw fail(root, "admin_listen", "must differ from listen (\(config.listen))")
        }
        return config
    }

    func admin(_ node: Node, into config: inout ProxyConfiguration) throws(ConfigurationError) {
        for (key, value) in try mapping(node, "admin", allowed: ["allowed_hosts", "token", "max_connections"]) {
            let field = "admin.\(key)"
            switch key {
            case "allowed_hosts":
                let hosts = try strings(value, field)
                guard !hosts.isEmpty, hosts.allSatisfy({ !$0.isEmpty && !$0.contains(where: { $0.isWhitespace || $0 == "/" }) }) else {
                    throw fail(value, field, "must be a non-empty list of host names")
                }
                config.adminAllowedHosts = hosts
            case "token":
                let token = try optionalString(value, field)
                if let token, token.utf8.count < 16 || token.contains(where: { $0.isWhitespace }) {
                    throw fail(value, field, "must be at least 16 characters without spaces")
                }
                config.adminToken = token
            case "max_connections": config.adminMaxConnections = try int(value, field, 1...100_000)
            default: break
            }
        }
    }

    func upstream(_ node: Node, into config: inout ProxyConfiguration) throws(ConfigurationError) {
        let allowed: Set = ["url", "connect_timeout_ms", "read_timeout_ms", "total_timeout_ms", "max_connections_per_loop", "max_background_refreshes", "max_queued_refreshes", "health_probe_path", "unhealthy_after_failures", "tls_ca_file", "tls_server_name", "tls_client_certificate_file", "tls_client_key_file"]
        for (key, value) in try mapping(node, "upstream", allowed: allowed) {
            let field = "upstream.\(key)"
            switch key {
            case "url":
                let url = try string(value, field)
                if let problem = ConfigurationValidation.upstreamURLProblem(url) { throw fail(value, field, problem) }
                config.upstreamURL = url
            case "connect_timeout_ms": config.upstreamConnectTimeoutMilliseconds = try int(value, field, 1...600_000)
            case "read_timeout_ms": config.upstreamReadTimeoutMilliseconds = try int(value, field, 1...3_600_000)
            case "total_timeout_ms": config.upstreamTotalTimeoutMilliseconds = try int(value, field, 1...3_600_000)
            case "max_connections_per_loop": config.upstreamMaxConnectionsPerLoop = try int(value, field, 1...10_000)
            case "max_background_refreshes": config.maxBackgroundRefreshes = try int(value, field, 1...10_000)
            case "max_queued_refreshes": config.maxQueuedRefreshes = try int(value, field, 0...1_000_000)
            case "health_probe_path":
                let path = try optionalString(value, field)
                if let path, !path.hasPrefix("/") || path.contains(where: { $0.isWhitespace || $0.isNewline }) || path.utf8.count > 1024 {
                    throw fail(value, field, "must be a path starting with / (no spaces), got \"\(path)\"")
                }
                config.upstreamHealthProbePath = path
            case "unhealthy_after_failures": config.upstreamUnhealthyAfterFailures = try int(value, field, 1...1_000_000)
            case "tls_ca_file": config.upstreamTLS.caFile = try optionalString(value, field)
            case "tls_server_name":
                let name = try optionalString(value, field)
                if let name, name.isEmpty || name.contains(where: { $0.isWhitespace || $0 == "/" }) { throw fail(value, field, "must be a host name") }
                config.upstreamTLS.serverName = name
            case "tls_client_certificate_file": config.upstreamTLS.clientCertificateFile = try optionalString(value, field)
            case "tls_client_key_file": config.upstreamTLS.clientKeyFile = try optionalString(value, field)
            default: break
            }
        }
    }

    func store(_ node: Node, into config: inout ProxyConfiguration) throws(ConfigurationError) {
        for (key, value) in try mapping(node, "store", allowed: ["redis_url", "redis_tls", "redis_sentinel_password", "key_prefix", "memory_max_bytes", "redis_timeout_ms", "hot_tier_bytes", "identity_cache_bytes", "fill_lock_ms", "circuit_breaker_failures", "circuit_breaker_cooldown_ms"]) {
            let field = "store.\(key)"
            switch key {
            case "redis_url":
                let url = try optionalString(value, field)
                if let url, let problem = ConfigurationValidation.redisURLProblem(url) { throw fail(value, field, problem) }
                config.redisURL = url
            case "redis_tls": try redisTLS(value, into: &config)
            case "redis_sentinel_password": config.redisSentinelPassword = try optionalString(value, field)
            case "key_prefix":
                let prefix = try string(value, field)
                guard prefix.utf8.count <= 64, !prefix.contains(where: { $0.isWhitespace }) else {
                    throw fail(value, field, "must be at most 64 characters without spaces")
                }
                config.keyPrefix = prefix
            case "memory_max_bytes": config.memoryStoreMaxBytes = try int(value, field, 1024...(1 << 40))
            case "redis_timeout_ms": config.redisTimeoutMilliseconds = try int(value, field, 1...60_000)
            case "hot_tier_bytes": config.hotTierBytes = try int(value, field, 0...(1 << 40))
            case "identity_cache_bytes": config.identityCacheBytes = try int(value, field, 0...(1 << 40))
            case "fill_lock_ms": config.fillLockMilliseconds = try int(value, field, 0...600_000)
            case "circuit_breaker_failures": config.circuitBreakerFailures = try int(value, field, 1...1_000_000)
            case "circuit_breaker_cooldown_ms": config.circuitBreakerCoolDownMilliseconds = try int(value, field, 1...3_600_000)
            default: break
            }
        }
    }

    func redisTLS(_ node: Node, into config: inout ProxyConfiguration) throws(ConfigurationError) {
        for (key, value) in try mapping(node, "store.redis_tls", allowed: ["ca_file", "cert_file", "key_file", "server_name", "verify"]) {
            let field = "store.redis_tls.\(key)"
            switch key {
            case "ca_file": config.redisTLSCAFile = try optionalString(value, field)
            case "cert_file": config.redisTLSCertificateFile = try optionalString(value, field)
            case "key_file": config.redisTLSKeyFile = try optionalString(value, field)
            case "server_name": config.redisTLSServerName = try optionalString(value, field)
            case "verify": config.redisTLSVerify = try bool(value, field)
            default: break
            }
        }
        if (config.redisTLSCertificateFile == nil) != (config.redisTLSKeyFile == nil) {
            throw fail(node, "store.redis_tls", "cert_file and key_file go together")
        }
    }

    func limits(_ node: Node, into config: inout ProxyConfiguration) throws(ConfigurationError) {
        let allowed: Set = [
            "max_request_body_bytes", "max_request_head_bytes", "max_header_field_bytes", "max_cached_object_bytes", "max_connections", "idle_timeout_ms",
            "header_timeout_ms", "body_timeout_ms", "shutdown_grace_ms", "drain_delay_ms", "max_requests_in_progress_per_loop",
        ]
        for (key, value) in try mapping(node, "limits", allowed: allowed) {
            let field = "limits.\(key)"
            switch key {
            case "max_request_body_bytes": config.maxRequestBodyBytes = try int(value, field, 1...(1 << 31))
            case "max_request_head_bytes": config.maxRequestHeadBytes = try int(value, field, 1024...(1 << 20))
            case "max_header_field_bytes": config.maxHeaderFieldBytes = try int(value, field, 1024...(1 << 20))
            case "max_cached_object_bytes": config.maxCachedObjectBytes = try int(value, field, 1...(1 << 31))
            case "max_connections": config.maxConnections = try int(value, field, 1...1_000_000)
            case "max_requests_in_progress_per_loop": config.maxRequestsInProgressPerLoop = try int(value, field, 1...1_000_000)
            case "idle_timeout_ms": config.idleTimeoutMilliseconds = try int(value, field, 1...86_400_000)
            case "header_timeout_ms": config.headerTimeoutMilliseconds = try int(value, field, 1...3_600_000)
            case "body_timeout_ms": config.bodyTimeoutMilliseconds = try int(value, field, 1...86_400_000)
            case "shutdown_grace_ms": config.shutdownGraceMilliseconds = try int(value, field, 0...3_600_000)
            case "drain_delay_ms": config.drainDelayMilliseconds = try int(value, field, 0...3_600_000)
            default: break
            }
        }
    }

    func invalidation(_ node: Node, into config: inout ProxyConfiguration) throws(ConfigurationError) {
        for (key, value) in try mapping(node, "invalidation", allowed: ["database_url", "channel", "tables", "feed_down_max_age_s"]) {
            let field = "invalidation.\(key)"
            switch key {
            case "database_url":
                let url = try optionalString(value, field)
                if let url, let problem = ConfigurationValidation.databaseURLProblem(url) { throw fail(value, field, problem) }
                config.databaseURL = url
            case "feed_down_max_age_s":
                // null (or ~) keeps the default: TTLs alone bound staleness.
                config.feedDownMaxAgeSeconds = try optionalString(value, field) == nil ? nil : try int(value, field, 0...31_536_000)
            case "channel":
                let channel = try string(value, field)
                guard ConfigurationValidation.isIdentifier(channel) else {
                    throw fail(value, field, "must be an SQL identifier ([a-z_][a-z0-9_]*, at most 63 characters)")
                }
                config.notifyChannel = channel
            case "tables":
                config.tables = []
                for (table, spec) in try mapping(value, field, allowed: Set(tableNames(value))) {
                    let tfield = "\(field).\(table)"
                    guard ConfigurationValidation.isIdentifier(table) else { throw fail(spec, tfield, "table names must be SQL identifiers") }
                    var tags: [String] = []
                    var keys: [String] = []
                    var idColumn = "id"
                    var changes: [ChangeRule] = []
                    var idQuery: String?
                    for (k, v) in try mapping(spec, tfield, allowed: ["tags", "keys", "id_column", "changes", "id_query"]) {
                        switch k {
                        case "tags": tags = try strings(v, "\(tfield).tags")
                        case "keys": keys = try strings(v, "\(tfield).keys")
                        case "changes": changes = try changeRules(v, "\(tfield).changes")
                        case "id_query":
                            idQuery = try string(v, "\(tfield).id_query")
                            guard idQuery!.contains("$1") else { throw fail(v, "\(tfield).id_query", "must use $1, the changed rows' id_column values (text[])") }
                        default:
                            idColumn = try string(v, "\(tfield).id_column")
                            guard ConfigurationValidation.isIdentifier(idColumn) else { throw fail(v, "\(tfield).id_column", "must be an SQL identifier") }
                        }
                    }
                    if tags.isEmpty && keys.isEmpty { throw fail(spec, tfield, "needs at least one tag or key") }
                    config.tables.append(InvalidatedTable(name: table, idColumn: idColumn, mapping: TableMapping(tags: tags, keys: keys, changes: changes), idQuery: idQuery))
                }
            default: break
            }
        }
    }

    private func tableNames(_ node: Node) -> [String] {
        node.mapping?.compactMap { $0.key.string } ?? []
    }
}
