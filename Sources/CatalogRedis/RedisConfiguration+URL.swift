import NIOCore

extension RedisConfiguration {
    /// Parses `redis://[[user]:password@]host[:port][/db]`.
    ///
    /// The password (and user) may be percent-encoded; IPv6 hosts are written in brackets
    /// (`redis://[::1]:6379`). Defaults: port 6379, database 0, and the timeouts of
    /// ``init(host:port:username:password:database:connectionsPerEventLoop:connectTimeout:commandTimeout:reconnectBackoff:)``.
    /// TLS (`rediss://`), query parameters and fragments are rejected rather than ignored.
    public static func parse(url: String) throws(RedisConfigurationError) -> RedisConfiguration {
        let parts = url.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw .invalidScheme("") }
        let scheme = parts[0].lowercased()
        guard scheme == "redis" else {
            if scheme == "rediss" { throw .unsupported("TLS (rediss://)") }
            throw .invalidScheme(String(parts[0]))
        }
        var rest = parts[1]
        if rest.contains("?") { throw .unsupported("a query string") }
        if rest.contains("#") { throw .unsupported("a fragment") }

        // Split authority from path.
        var path: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }

        var configuration = RedisConfiguration()
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

        // Host and port; IPv6 literals are bracketed.
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw .missingHost }
            configuration.host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .invalidPort(String(after)) }
                portText = after.dropFirst()
            }
        } else if let colon = rest.lastIndex(of: ":") {
            configuration.host = String(rest[..<colon])
            portText = rest[rest.index(after: colon)...]
        } else {
            configuration.host = String(rest)
        }
        guard !configuration.host.isEmpty else { throw .missingHost }
        if let portText {
            guard portText.allSatisfy({ $0.isASCII && $0.isNumber }), let port = Int(portText), (1...65535).contains(port) else {
                throw .invalidPort(String(portText))
            }
            configuration.port = port
        }

        if !path.isEmpty {
            guard path.allSatisfy({ $0.isASCII && $0.isNumber }), let db = Int(path) else {
                throw .invalidDatabase(String(path))
            }
            configuration.database = db
        }
        return configuration
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
