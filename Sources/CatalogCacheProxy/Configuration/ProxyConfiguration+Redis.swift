import CatalogRedis

extension ProxyConfiguration {
    /// The store's Redis client configuration: `url` parsed, with `store.redis_tls` applied
    /// when the URL asks for TLS and `store.redis_sentinel_password` for the sentinels.
    /// A `store.redis_tls` option beside a URL without TLS is refused (the connections would
    /// be plain while the file asks for TLS), naming the option and the URL form to use.
    func redisConfiguration(url: String) throws -> RedisConfiguration {
        var configuration = try RedisConfiguration.parse(url: url)
        if configuration.tls != nil {
            configuration.tls = RedisTLSConfiguration(
                caFile: redisTLSCAFile, certificateFile: redisTLSCertificateFile, privateKeyFile: redisTLSKeyFile,
                serverName: redisTLSServerName, verifyCertificate: redisTLSVerify
            )
        } else if let option = redisTLSOptionSet {
            let scheme = url.prefix { $0 != ":" }.lowercased()
            let tlsScheme = ["redis": "rediss", "redis-sentinel": "redis-sentinels", "redis-cluster": "rediss-cluster"][scheme] ?? "rediss"
            throw ConfigurationError(
                field: "store.redis_tls.\(option)",
                message: "is set, but the Redis URL (\(scheme)://) is not TLS: use \(tlsScheme):// for TLS, or remove store.redis_tls"
            )
        }
        configuration.sentinelPassword = redisSentinelPassword
        return configuration
    }

    /// The first `store.redis_tls` option that differs from its default, if any.
    private var redisTLSOptionSet: String? {
        if redisTLSCAFile != nil { return "ca_file" }
        if redisTLSCertificateFile != nil { return "cert_file" }
        if redisTLSKeyFile != nil { return "key_file" }
        if redisTLSServerName != nil { return "server_name" }
        if !redisTLSVerify { return "verify" }
        return nil
    }
}
