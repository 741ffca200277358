import CatalogCacheCore
import Foundation
import Logging
import NIOPosix
import Testing

@testable import CatalogCacheProxy

@Suite struct EdgeConfigurationTests {
    static let routes = "routes:\n  - name: a\n    path: /x\n    key: k\n    ttl: 5\n"

    @Test func theShippedCDNExampleLoadsWithItsVarnishTarget() throws {
        let path = ConfigurationLoaderTests.packageRoot.appendingPathComponent("config/examples/cdn-varnish.yaml").path
        let c = try ConfigurationLoader.load(path: path)
        #expect(c.purge.targets == [{
            var t = PurgeTargetConfiguration(name: "edge", kind: .varnish, url: "http://127.0.0.1:6081")
            t.timeoutMilliseconds = 2000
            return t
        }()])
        #expect(c.purge.windowMilliseconds == 10)
        #expect(c.routes.allSatisfy { $0.cacheControlHeader.contains("max-age=0, s-maxage=") })
        // The rest is the shipped configuration.
        let shipped = try ConfigurationLoader.load(path: ConfigurationLoaderTests.shippedConfig)
        #expect(c.routes.map(\.name) == shipped.routes.map(\.name))
        #expect(c.tables == shipped.tables)
    }

    @Test func providerTargetsParseWithTheirScopesTokensAndLimits() throws {
        let yaml = """
        cdn:
          window_ms: 25
          targets:
            - { name: f, kind: fastly, url: "http://127.0.0.1:9", service_id: SU1Z0isxPaozGVKXdv0eY, token_env: FASTLY_API_TOKEN, soft: true }
            - { name: c, kind: cloudflare, url: "http://127.0.0.1:9/client/v4", zone_id: 023e105f4ecef8ad9ca31a8372d0c353, token: t, max_tags_per_request: 10 }
            - { name: h, kind: http, url: "http://127.0.0.1:9/purge", header: Cache-Tags }
        admin_events:
          recheck_s: 60
          tables: { hero_banner: banner.updated, order: order.changed }
        """ + "\n" + Self.routes
        let c = try ConfigurationLoader.parse(yaml: yaml)
        #expect(c.purge.windowMilliseconds == 25)
        #expect(c.purge.targets.map(\.kind) == [.fastly, .cloudflare, .http])
        #expect(c.purge.targets[0].scope == "SU1Z0isxPaozGVKXdv0eY" && c.purge.targets[0].tokenEnvironment == "FASTLY_API_TOKEN" && c.purge.targets[0].soft)
        #expect(c.purge.targets[0].maxTagsPerRequest == 256)
        #expect(c.purge.targets[1].maxTagsPerRequest == 10)
        #expect(c.purge.targets[2].tagHeader == "Cache-Tags")
        #expect(c.adminEvents.recheckSeconds == 60)
        #expect(c.adminEvents.tables == ["hero_banner": "banner.updated", "order": "order.changed"])
        #expect(c.triggerTables.map(\.name).contains("order"))
    }

    @Test(arguments: [
        ("cdn:\n  targets:\n    - { kind: akamai, url: \"http://x:1\" }\n", "cdn.targets[0].kind", "must be one of"),
        ("cdn:\n  targets:\n    - { kind: fastly, url: \"http://x:1\", token: t }\n", "cdn.targets[0].service_id", "is required"),
        ("cdn:\n  targets:\n    - { kind: fastly, url: \"http://x:1\", service_id: s }\n", "cdn.targets[0].token_env", "needs token_env"),
        ("cdn:\n  targets:\n    - { kind: cloudflare, url: \"http://x:1\", service_id: s, token: t }\n", "cdn.targets[0].service_id", "does not apply"),
        ("cdn:\n  targets:\n    - { kind: cloudflare, url: \"http://x:1\", zone_id: z, token: t, max_tags_per_request: 31 }\n", "cdn.targets[0].max_tags_per_request", "between 1 and 30"),
        ("cdn:\n  targets:\n    - { kind: varnish }\n", "cdn.targets[0].url", "is required"),
        ("cdn:\n  targets:\n    - { kind: varnish, url: \"ftp://x\" }\n", "cdn.targets[0].url", "scheme"),
        ("cdn:\n  targets:\n    - { kind: http, url: \"http://x:1\", soft: true }\n", "cdn.targets[0].soft", "fastly and varnish"),
        ("cdn:\n  targets:\n    - { kind: varnish, url: \"http://x:1\", name: \"a b\" }\n", "cdn.targets[0].name", "letters, digits"),
        ("cdn:\n  targets:\n    - { kind: varnish, url: \"http://x:1\" }\n    - { kind: varnish, url: \"http://y:1\" }\n", "cdn.targets[1].name", "used by another"),
        ("cdn:\n  window: 5\n", "cdn.window", "unknown field"),
        ("admin_events:\n  heartbeat_s: 0\n", "admin_events.heartbeat_s", "between 1"),
        ("admin_events:\n  authorization_path: users/me\n", "admin_events.authorization_path", "starting with /"),
        ("admin_events:\n  tables: { order: \"order updated\" }\n", "admin_events.tables.order", "without spaces"),
    ])
    func badEdgeSectionsNameTheirField(yaml: String, field: String, message: String) {
        do {
            _ = try ConfigurationLoader.parse(yaml: yaml + Self.routes)
            Issue.record("accepted: \(yaml)")
        } catch {
            #expect(error.field == field, "\(error)")
            #expect(error.message.contains(message), "\(error)")
        }
    }

    @Test func aTokenEnvironmentVariableThatIsNotSetStopsStartUp() throws {
        var target = PurgeTargetConfiguration(name: "f", kind: .fastly, url: "http://127.0.0.1:9")
        target.scope = "s"
        target.tokenEnvironment = "CATALOG_TEST_NO_SUCH_TOKEN"
        var configuration = PurgeConfiguration()
        configuration.targets = [target]
        #expect(throws: EdgePurgerError.self) {
            _ = try EdgePurger(configuration: configuration, fallbackTags: [], group: MultiThreadedEventLoopGroup.singleton, metrics: EdgeMetrics(), logger: .init(label: "t"), environment: [:])
        }
    }
}
