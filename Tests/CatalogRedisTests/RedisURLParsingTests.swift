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
        ("rediss://127.0.0.1:6379", .unsupported("TLS (rediss://)")),
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

    @Test func messagesNameTheProblem() {
        #expect(RedisConfigurationError.invalidScheme("http").description.contains("scheme 'http'"))
        #expect(RedisConfigurationError.invalidPort("abc").description.contains("port 'abc'"))
        #expect(RedisConfigurationError.invalidDatabase("x").description.contains("database 'x'"))
    }
}
