import NIOCore

extension RedisConfiguration {
    /// Parses the Redis URL forms of the contract:
    ///
    ///     redis://[[user]:password@]host[:port][/db]                      one node
    ///     rediss://[[user]:password@]host[:port][/db]                     one node over TLS
    ///     redis-sentinel://[[user]:password@]h1:p1[,h2:p2...]/MASTER[?db=N]  primary from Sentinel
    ///     redis-sentinels://...                                           the same over TLS
    ///     redis-cluster://[[user]:password@]h1:p1[,h2:p2...]              Redis Cluster, seed nodes
    ///     rediss-cluster://...                                            the same, every node over TLS
    ///
    /// The password (and user) may be percent-encoded; IPv6 hosts are written in brackets
    /// (`redis://[::1]:6379`). Defaults: port 6379 (26379 for a sentinel), database 0, TLS
    /// with verification against the system's trust store, and the timeouts of
    /// ``init(host:port:topology:tls:sentinelPassword:username:password:database:connectionsPerEventLoop:connectTimeout:commandTimeout:reconnectBackoff:)``.
    /// A cluster has only database 0, so a cluster URL takes no path or query.
    /// Any other query parameter and fragments are rejected rather than ignored.
    public static func parse(url: String) throws(RedisConfigurationError) -> RedisConfiguration {
        let parts = url.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw .invalidScheme("") }
        let scheme = parts[0].lowercased()
        var configuration = RedisConfiguration()
        let sentinel: Bool
        var cluster = false
        switch scheme {
        case "redis": sentinel = false
        case "rediss": sentinel = false; configuration.tls = RedisTLSConfiguration()
        case "redis-sentinel": sentinel = true
        case "redis-sentinels": sentinel = true; configuration.tls = RedisTLSConfiguration()
        case "redis-cluster": sentinel = false; cluster = true
        case "rediss-cluster": sentinel = false; cluster = true; configuration.tls = RedisTLSConfiguration()
        default: throw .invalidScheme(String(parts[0]))
        }
        var rest = parts[1]
        if rest.contains("#") { throw .unsupported("a fragment") }
        var query: Substring = ""
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }

        var path: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }
        if let at = rest.lastIndex(of: "@") {
            let userinfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            guard let colon = userinfo.firstIndex(of: ":") else {
                throw .invalidCredentials("expected ':password@' or 'user:password@' before the host")
            }
            let user = try percentDecoded(userinfo[..<colon])
            configuration.username = user.isEmpty ? nil : user
            configuration.password = try percentDecoded(userinfo[userinfo.index(after: colon)...])
        }

        if cluster {
            if !query.isEmpty { throw .unsupported("a query string") }
            if !path.isEmpty { throw .unsupported("a database on Redis Cluster (it has only database 0)") }
            let seeds = try rest.split(separator: ",", omittingEmptySubsequences: false).map {
                (text) throws(RedisConfigurationError) -> RedisAddress in try address(text, defaultPort: 6379)
            }
            configuration.topology = .cluster(seeds)
            configuration.host = seeds[0].host
            configuration.port = seeds[0].port
        } else if sentinel {
            let sentinels = try rest.split(separator: ",", omittingEmptySubsequences: false).map {
                (text) throws(RedisConfigurationError) -> RedisAddress in try address(text, defaultPort: 26379)
            }
            let master = try percentDecoded(path)
            guard !master.isEmpty, !master.contains("/") else {
                throw .missingMasterName
            }
            configuration.topology = .sentinel(sentinels, masterName: master)
            configuration.host = sentinels[0].host
            configuration.port = sentinels[0].port
            configuration.database = try database(query: query)
        } else {
            if !query.isEmpty { throw .unsupported("a query string") }
            let node = try address(rest, defaultPort: 6379)
            configuration.host = node.host
            configuration.port = node.port
            if !path.isEmpty { configuration.database = try database(path) }
        }
        return configuration
    }

    /// `host[:port]` or `[ipv6][:port]`.
    private static func address(_ text: Substring, defaultPort: Int) throws(RedisConfigurationError) -> RedisAddress {
        var host: Substring
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw .missingHost }
            host = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .invalidPort(String(after)) }
                portText = after.dropFirst()
            }
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        } else {
            host = text
        }
        guard !host.isEmpty else { throw .missingHost }
        var port = defaultPort
        if let portText {
            guard portText.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(portText), (1...65535).contains(value) else {
                throw .invalidPort(String(portText))
            }
            port = value
        }
        return RedisAddress(host: String(host), port: port)
    }

    private static func database(_ text: Substring) throws(RedisConfigurationError) -> Int {
        guard !text.isEmpty, text.count <= 9, text.allSatisfy({ $0.isASCII && $0.isNumber }), let db = Int(text) else {
            throw .invalidDatabase(String(text))
        }
        return db
    }

    /// The Sentinel form's query: only `db=N`.
    private static func database(query: Substring) throws(RedisConfigurationError) -> Int {
        var db = 0
        for pair in query.split(separator: "&") {
            guard pair.hasPrefix("db=") else { throw .unsupported("the query parameter '\(pair)'") }
            db = try database(pair.dropFirst(3))
        }
        return db
    }

    private static func percentDecoded(_ text: Substring) throws(RedisConfigurationError) -> String {
        guard text.contains("%") else { return String(text) }
        var bytes: [UInt8] = []
        var utf8 = text.utf8[...]
        while let byte = utf8.popFirst() {
            guard byte == UInt8(ascii: "%") else { bytes.append(byte); continue }
            guard utf8.count >= 2,
                  let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16)
            else { throw .invalidCredentials("bad percent-encoding") }
            bytes.append(value)
            utf8 = utf8.dropFirst(2)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
