import Testing

@testable import CatalogCacheProxy

/// The fault and limit fields: defaults, parsing, range checks; and the empty file.
@Suite struct ConfigurationLimitsTests {
    @Test func defaultsAreTheDocumentedOnes() throws {
        let c = try ConfigurationLoader.parse(yaml: ConfigurationLoaderTests.minimal)
        #expect(c.maxConnections == 10_000)
        #expect(c.idleTimeoutMilliseconds == 60_000)
        #expect(c.headerTimeoutMilliseconds == 10_000)
        #expect(c.bodyTimeoutMilliseconds == 30_000)
        #expect(c.shutdownGraceMilliseconds == 10_000)
        #expect(c.circuitBreakerFailures == 5)
        #expect(c.circuitBreakerCoolDownMilliseconds == 1000)
        #expect(c.maxBackgroundRefreshes == 16)
        #expect(c.maxQueuedRefreshes == 1024)
    }

    @Test func everyFieldIsRead() throws {
        let yaml = """
        upstream:
          max_background_refreshes: 7
          max_queued_refreshes: 0
        store:
          circuit_breaker_failures: 2
          circuit_breaker_cooldown_ms: 300
        limits:
          max_connections: 3
          idle_timeout_ms: 4
          header_timeout_ms: 5
          body_timeout_ms: 6
          shutdown_grace_ms: 0
        """ + "\n" + ConfigurationLoaderTests.minimal
        let c = try ConfigurationLoader.parse(yaml: yaml)
        #expect([c.circuitBreakerFailures, c.circuitBreakerCoolDownMilliseconds, c.maxConnections] == [2, 300, 3])
        #expect(c.maxBackgroundRefreshes == 7)
        #expect(c.maxQueuedRefreshes == 0)
        #expect([c.idleTimeoutMilliseconds, c.headerTimeoutMilliseconds, c.bodyTimeoutMilliseconds, c.shutdownGraceMilliseconds] == [4, 5, 6, 0])
    }

    @Test(arguments: [
        ("limits:\n  max_connections: 0\n", "limits.max_connections"),
        ("limits:\n  header_timeout_ms: -1\n", "limits.header_timeout_ms"),
        ("limits:\n  idle_timeout_ms: soon\n", "limits.idle_timeout_ms"),
        ("limits:\n  max_conections: 5\n", "limits.max_conections"),
        ("store:\n  circuit_breaker_failures: 0\n", "store.circuit_breaker_failures"),
        ("upstream:\n  max_background_refreshes: 0\n", "upstream.max_background_refreshes"),
        ("upstream:\n  max_queued_refreshes: -1\n", "upstream.max_queued_refreshes"),
    ])
    func badValuesNameTheField(yaml: String, field: String) {
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader.parse(yaml: yaml + ConfigurationLoaderTests.minimal) }
        do {
            _ = try ConfigurationLoader.parse(yaml: yaml + ConfigurationLoaderTests.minimal)
        } catch {
            #expect(error.field == field)
        }
    }

    /// A truncated or emptied file must not start a proxy that caches nothing.
    @Test(arguments: ["", "\n", "# only a comment\n", "---\n", "~"])
    func anEmptyDocumentIsAnErrorNotAllDefaults(yaml: String) {
        do {
            _ = try ConfigurationLoader.parse(yaml: yaml, file: "c.yaml")
            Issue.record("accepted \(yaml.debugDescription)")
        } catch {
            #expect(error.description.hasPrefix("c.yaml"))
        }
    }
}
