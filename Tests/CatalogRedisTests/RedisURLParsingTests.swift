import CatalogRedis
import Testing

/// ``RedisConfiguration/parse(url:)``: accepted forms and the error naming each bad part.
@Suite struct RedisURLParsingTests {
    struct Accepted: Sendable, CustomTestStringConvertible {
        let url: String, host: String, port: Int, username: String?, password: String?, database: Int
        var testDescription: String { url }
    }

    static let accepted: [Accepted] = [
        .init(url: "redis://127.0.0.1", host: "127.0.0.1", port: 6379, username: nil, password: nil, database: 0),
        .init(url: "redis://localhost:6380", host: "localhost", port: 6380, username: nil, password: nil, database: 0),
        .init(url: "redis://cache.internal:7000/3", host: "cache.internal", port: 7000, username: nil, password: nil, database: 3),
        .init(url: "redis://:s3cret@10.0.0.5:6379/15", host: "10.0.0.5", port: 6379, username: nil, password: "s3cret", database: 15),
        .init(url: "redis://app:p%40ss%3Aw@h/0", host: "h", port: 6379, username: "app", password: "p@ss:w", database: 0),
        .init(url: "REDIS://h/", host: "h", port: 6379, username: nil, password: nil, database: 0),
        .init(url: "redis://[::1]:6390/2", host: "::1", port: 6390, username: nil, password: nil, database: 2),
        .init(url: "redis://[::1]", host: "::1", port: 6379, username: nil, password: nil, database: 0),
    ]

    @Test(arguments: accepted)
    func parses(_ case_: Accepted) throws {
        let configuration = try RedisConfiguration.parse(url: case_.url)
        #expect(configuration.host == case_.host)
        #expect(configuration.port == case_.port)
        #expect(configuration.username == case_.username)
        #expect(configuration.password == case_.password)
        #expect(configuration.database == case_.database)
    }

    static let rejected: [(String, RedisConfigurationError)] = [
        ("127.0.0.1:6379", .invalidScheme("")),
        ("http://127.0.0.1:6379", .invalidScheme("http")),
        ("rediss-cluster://h1:7000,h2:7001/0", .unsupported("a database on Redis Cluster (it has only database 0)")),
        ("rediss-cluster://h1:7000?ssl_cert_reqs=none", .unsupported("a query string")),
        ("rediss-cluster://h1:7000,", .missingHost),
        ("rediss-cluster://h1:7000,h2:70000", .invalidPort("70000")),
        ("rediss-cluster://h1:7000#x", .unsupported("a fragment")),
        ("redis-clusters://h1:7000", .invalidScheme("redis-clusters")),
        ("redis-cluster://h1:7000,h2:7001/2", .unsupported("a database on Redis Cluster (it has only database 0)")),
        ("redis-cluster://h1:7000?db=1", .unsupported("a query string")),
        ("redis-cluster://h1:7000,:7001", .missingHost),
        ("redis-cluster://h1:7000,h2:x", .invalidPort("x")),
        ("redis-cluster://", .missingHost),
        ("redis-sentinel://h1:26379,h2:26379", .missingMasterName),
        ("redis-sentinel://h1:26379/", .missingMasterName),
        ("redis-sentinel://h1:26379,:26380/mymaster", .missingHost),
        ("redis-sentinel://h1:26379,h2:x/mymaster", .invalidPort("x")),
        ("redis-sentinel://h1/mymaster?db=x", .invalidDatabase("x")),
        ("redis-sentinel://h1/mymaster?timeout=1", .unsupported("the query parameter 'timeout=1'")),
        ("rediss://h:6379?x=1", .unsupported("a query string")),
        ("redis://", .missingHost),
        ("redis://:6379", .missingHost),
        ("redis://h:abc", .invalidPort("abc")),
        ("redis://h:0", .invalidPort("0")),
        ("redis://h:65536", .invalidPort("65536")),
        ("redis://h:", .invalidPort("")),
        ("redis://h:-1", .invalidPort("-1")),
        ("redis://h:6379/x", .invalidDatabase("x")),
        ("redis://h:6379/-2", .invalidDatabase("-2")),
        ("redis://h:6379/1/2", .invalidDatabase("1/2")),
        ("redis://secret@h", .invalidCredentials("expected ':password@' or 'user:password@' before the host")),
        ("redis://:bad%zz@h", .invalidCredentials("bad percent-encoding")),
        ("redis://h?timeout=1", .unsupported("a query string")),
    ]

    @Test(arguments: rejected)
    func rejects(_ url: String, _ expected: RedisConfigurationError) {
        #expect(throws: expected) { try RedisConfiguration.parse(url: url) }
    }

    @Test func rediss_turnsOnVerifiedTLS() throws {
        let configuration = try RedisConfiguration.parse(url: "rediss://:pw@cache.example.com:6380/2")
        #expect(configuration.tls == RedisTLSConfiguration())
        #expect(configuration.tls?.verifyCertificate == true)
        #expect(configuration.host == "cache.example.com" && configuration.port == 6380 && configuration.database == 2)
        #expect(configuration.topology == .single)
        #expect(try RedisConfiguration.parse(url: "redis://h").tls == nil)
    }

    @Test func cluster_namesTheSeedNodes() throws {
        let configuration = try RedisConfiguration.parse(url: "redis-cluster://app:p%40w@10.0.0.1:7000,[::1],node3:7002")
        #expect(configuration.topology == .cluster([
            RedisAddress(host: "10.0.0.1", port: 7000), RedisAddress(host: "::1", port: 6379), RedisAddress(host: "node3", port: 7002),
        ]))
        #expect(configuration.username == "app" && configuration.password == "p@w")
        #expect(configuration.database == 0 && configuration.tls == nil)
        #expect(try RedisConfiguration.parse(url: "redis-cluster://:pw@h").topology == .cluster([RedisAddress(host: "h", port: 6379)]))
    }

    /// Every node of a `rediss-cluster://` is reached over TLS, verified by default, with the
    /// same seeds, credentials and default port as `redis-cluster://`.
    @Test func tlsCluster_namesTheSeedsAndTurnsOnVerifiedTLS() throws {
        let configuration = try RedisConfiguration.parse(url: "rediss-cluster://default:p%40w@clustercfg.shop.abc123.use1.cache.amazonaws.com:6379,[::1],10.0.0.2")
        #expect(configuration.topology == .cluster([
            RedisAddress(host: "clustercfg.shop.abc123.use1.cache.amazonaws.com", port: 6379),
            RedisAddress(host: "::1", port: 6379), RedisAddress(host: "10.0.0.2", port: 6379),
        ]))
        #expect(configuration.tls == RedisTLSConfiguration())
        #expect(configuration.tls?.verifyCertificate == true)
        #expect(configuration.username == "default" && configuration.password == "p@w" && configuration.database == 0)
        #expect(configuration.host == "clustercfg.shop.abc123.use1.cache.amazonaws.com" && configuration.port == 6379)
        #expect(try RedisConfiguration.parse(url: "RediSS-Cluster://:pw@h:7000") == RedisConfiguration(
            host: "h", port: 7000, topology: .cluster([RedisAddress(host: "h", port: 7000)]), tls: RedisTLSConfiguration(), password: "pw"
        ))
    }

    @Test func sentinel_namesTheSentinelsAndTheMaster() throws {
        let configuration = try RedisConfiguration.parse(url: "redis-sentinel://app:pw@10.0.0.1:26379,[::1],s3:26380/my%20master?db=4")
        #expect(configuration.topology == .sentinel([
            RedisAddress(host: "10.0.0.1", port: 26379), RedisAddress(host: "::1", port: 26379), RedisAddress(host: "s3", port: 26380),
        ], masterName: "my master"))
        #expect(configuration.username == "app" && configuration.password == "pw")
        #expect(configuration.database == 4)
        #expect(configuration.tls == nil)
        #expect(try RedisConfiguration.parse(url: "redis-sentinels://s1/m").tls == RedisTLSConfiguration())
        #expect(try RedisConfiguration.parse(url: "redis-sentinel://s1/m").database == 0)
    }

    @Test func messagesNameTheProblem() {
        #expect(RedisConfigurationError.invalidScheme("http").description.contains("scheme 'http'"))
        #expect(RedisConfigurationError.invalidScheme("http").description.contains("rediss-cluster://"))
        #expect(RedisConfigurationError.invalidPort("abc").description.contains("port 'abc'"))
        #expect(RedisConfigurationError.invalidDatabase("x").description.contains("database 'x'"))
    }
}
