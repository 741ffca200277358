import CatalogCacheCore
import Foundation
import Testing

@testable import CatalogCacheProxy

@Suite struct ConfigurationLoaderTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static var shippedConfig: String { packageRoot.appendingPathComponent("config/catalog-cache.yaml").path }

    @Test func shippedConfigurationFitsSeed003() throws {
        let c = try ConfigurationLoader.load(path: Self.shippedConfig)
        let ttl = Dictionary(uniqueKeysWithValues: c.routes.map { ($0.name, $0.ttl) })
        #expect(ttl == ["hero_banners": 300, "products": 60, "product": 60, "regions": 3600, "collections": 300, "product_categories": 300,
                       "region": 3600, "collection": 300, "product_category": 300])
        #expect(c.routes.first?.keyTemplate.description == "hero_banners:active")
        #expect(c.routes[1].varyHeaders == ["x-publishable-api-key"])
        #expect(c.keyPrefix == "catalog:")
        #expect(c.compressionThresholdBytes == 2048)
        #expect(c.notifyChannel == "catalog_cache")
        #expect(Set(c.tables.map(\.name)) == ["hero_banner", "product", "product_variant", "inventory_level", "product_category", "product_collection", "region"])
        #expect(c.tables.first { $0.name == "product_variant" }?.idColumn == "product_id")
        #expect(c.redisURL == nil && c.databaseURL == nil)
        #expect(c.listen == ListenAddress(host: "127.0.0.1", port: 8080))
        #expect(c.adminListen == ListenAddress(host: "127.0.0.1", port: 8081))
        #expect(c.upstreamURL == "http://127.0.0.1:9000")
    }

    /// Every file under config/ (the default, the examples) loads: the schema refuses nothing they use.
    @Test func everyShippedConfigurationLoads() throws {
        let root = Self.packageRoot.appendingPathComponent("config")
        let files = (FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []).filter { $0.pathExtension == "yaml" }
        #expect(files.count >= 4)
        for file in files {
            do {
                let c = try ConfigurationLoader.load(path: file.path)
                #expect(!c.routes.isEmpty)
            } catch {
                Issue.record("\(error)")
            }
        }
    }

    static let minimal = """
    routes:
      - name: banners
        path: /store/hero-banners
        key: hero_banners:active
        ttl: 300
    """

    @Test func minimalConfigurationUsesContractDefaults() throws {
        let c = try ConfigurationLoader.parse(yaml: Self.minimal)
        #expect(c.routes.count == 1)
        #expect(c.routes[0].staleWhileRevalidate == 0)
        #expect(c.routes[0].cacheableStatuses == [200])
        #expect(c.routes[0].cacheControlHeader == "public, max-age=300, stale-while-revalidate=0")
        #expect(c.listen.port == 8080 && c.adminListen.port == 8081)
    }

    /// Each bad file must fail with the line and field of the problem.
    @Test(arguments: [
        ("routes:\n  - name: a\n    path: /x\n    key: k\n    ttl: soon\n", 5, "routes[0].ttl", "must be an integer"),
        ("routes:\n  - name: a\n    path: /x\n    key: k\n    ttl: 0\n", 5, "routes[0].ttl", "between 1"),
        ("routes:\n  - name: a\n    path: /x\n    key: k\n    tll: 5\n", 5, "routes[0].tll", "unknown field"),
        ("routes:\n  - name: a\n    path: /x\n    key: k\n", 2, "routes[0].ttl", "is required"),
        ("listen: nowhere\nroutes: []\n", 1, "listen", "HOST:PORT"),
        ("upstream:\n  url: ftp://example.test\nroutes: []\n", 2, "upstream.url", "http"),
        ("store:\n  redis_url: memcached://x\n", 2, "store.redis_url", "redis://"),
        ("upstream:\n  timeout: 3\n", 2, "upstream.timeout", "unknown field"),
        ("compression:\n  level: 11\n", 2, "compression.level", "between 1 and 9"),
        ("invalidation:\n  channel: \"bad channel\"\n", 2, "invalidation.channel", "identifier"),
        ("invalidation:\n  tables:\n    product: {}\n", 3, "invalidation.tables.product", "at least one tag"),
        ("listen: 127.0.0.1:1\n", 1, "routes", "is required"),
        ("routes:\n  - name: a\n    path: /x/{id}\n    key: \"k:{nope}\"\n    ttl: 5\n", 2, "routes[0]", "neither a path placeholder"),
        ("routes:\n  - name: a\n    path: /x\n    key: k\n    ttl: 5\n  - name: a\n    path: /y\n    key: k2\n    ttl: 5\n", 6, "routes[1].name", "used by another route"),
        ("routes:\n  - name: a\n    path: /x\n    key: k\n    ttl: 5\n    vary: [\"bad header\"]\n", 2, "routes[0].vary", "not a header name"),
        ("routes: [\n", nil, "", "not valid YAML"),
    ] as [(String, Int?, String, String)])
    func badConfigurationNamesLineAndField(yaml: String, line: Int?, field: String, message: String) {
        #expect {
            _ = try ConfigurationLoader.parse(yaml: yaml, file: "test.yaml")
        } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            return (line == nil || error.line == line) && error.field == field && error.message.contains(message)
                && error.description.hasPrefix("test.yaml")
        }
    }

    @Test func flagsWinOverEnvironmentWhichWinsOverTheFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cc-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("c.yaml").path
        try (Self.minimal + "\nupstream:\n  url: http://127.0.0.1:7000\nstore:\n  redis_url: redis://127.0.0.1:1\n").write(toFile: file, atomically: true, encoding: .utf8)

        let fromFile = try ConfigurationOverrides.resolve(path: file, environment: [:], flags: ConfigurationOverrides())
        #expect(fromFile.upstreamURL == "http://127.0.0.1:7000")
        #expect(fromFile.redisURL == "redis://127.0.0.1:1")

        let env = ["UPSTREAM_URL": "http://127.0.0.1:7001", "CACHE_REDIS_URL": "redis://127.0.0.1:2", "DATABASE_URL": "postgres://u@h/db"]
        let fromEnv = try ConfigurationOverrides.resolve(path: file, environment: env, flags: ConfigurationOverrides())
        #expect(fromEnv.upstreamURL == "http://127.0.0.1:7001")
        #expect(fromEnv.redisURL == "redis://127.0.0.1:2")
        #expect(fromEnv.databaseURL == "postgres://u@h/db")

        let fromFlags = try ConfigurationOverrides.resolve(path: file, environment: env, flags: ConfigurationOverrides(listen: "0.0.0.0:9999", upstream: "http://127.0.0.1:7002"))
        #expect(fromFlags.upstreamURL == "http://127.0.0.1:7002")
        #expect(fromFlags.listen == ListenAddress(host: "0.0.0.0", port: 9999))
        #expect(fromFlags.redisURL == "redis://127.0.0.1:2")

        #expect(throws: ConfigurationError.self) {
            _ = try ConfigurationOverrides.resolve(path: file, environment: ["UPSTREAM_URL": "ftp://x"], flags: ConfigurationOverrides())
        }
        #expect(throws: ConfigurationError.self) {
            _ = try ConfigurationOverrides.resolve(path: file, environment: [:], flags: ConfigurationOverrides(listen: "127.0.0.1:8081"))
        }
        #expect(throws: ConfigurationError.self) {
            _ = try ConfigurationOverrides.resolve(path: dir.appendingPathComponent("missing.yaml").path, environment: [:], flags: ConfigurationOverrides())
        }
    }

    @Test(arguments: [
        ("127.0.0.1:8080", ListenAddress(host: "127.0.0.1", port: 8080)),
        ("[::1]:80", ListenAddress(host: "::1", port: 80)),
        ("localhost:0", ListenAddress(host: "localhost", port: 0)),
    ])
    func listenAddressParses(text: String, expected: ListenAddress) {
        #expect(ListenAddress.parse(text) == expected)
    }

    @Test(arguments: ["8080", ":8080", "host:", "host:65536", "host:-1", "[::1]8080", "host:http"])
    func listenAddressRejects(text: String) {
        #expect(ListenAddress.parse(text) == nil)
    }

    @Test func checkConfigReportListsEveryRoute() throws {
        let c = try ConfigurationLoader.load(path: Self.shippedConfig)
        let report = EffectiveConfigurationReport.render(c)
        for route in c.routes { #expect(report.contains("\(route.name): GET/HEAD")) }
        #expect(report.contains("Cache-Control: public, max-age=300, stale-while-revalidate=600, stale-if-error=1800"))
        #expect(report.contains("in-process"))
    }
}
