import CatalogRedis

extension ProxyConfiguration {
    /// The store's Redis client configuration: `url` parsed, with `store.redis_tls` applied
    /// when the URL asks for TLS and `store.redis_sentinel_password` for the sentinels.
    func redisConfiguration(url: String) throws -> RedisConfiguration {
        var configuration = try RedisConfiguration.parse(url: url)
        if configuration.tls != nil {
            configuration.tls = RedisTLSConfiguration(
                caFile: redisTLSCAFile, certificateFile: redisTLSCertificateFile, privateKeyFile: redisTLSKeyFile,
                serverName: redisTLSServerName, verifyCertificate: redisTLSVerify
            )
        }
        configuration.sentinelPassword = redisSentinelPassword
        return configuration
    }
}
