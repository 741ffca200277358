import CatalogCacheCore
import CatalogCacheProxy
import Foundation
import Testing

@Suite struct OriginRouteConfigurationTests {
    @Test func originRouteWithCatchAll() throws {
        let c = try ConfigurationLoader.parse(yaml: "routes:\n  - name: all\n    path: /*\n    mode: origin\n")
        #expect(c.routes.count == 1 && c.routes[0].mode == .origin && c.routes[0].pattern.isCatchAll)
        #expect(c.routes[0].ttl == 86_400)
        let shipped = try ConfigurationLoader.load(path: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("config/examples/shared-cache.yaml").path)
        #expect(shipped.routes.map(\.mode) == [.origin] && shipped.routes[0].pattern.source == "/*")
        // Configured stays the default.
        let configured = try ConfigurationLoader.parse(yaml: "routes:\n  - name: a\n    path: /a\n    key: a\n    ttl: 5\n")
        #expect(configured.routes[0].mode == .configured)
    }

    static let bad: [(String, Int, String, String)] = [
        ("routes:\n  - name: all\n    path: /*\n    mode: shared\n", 4, "routes[0].mode", "must be one of configured, origin"),
        ("routes:\n  - name: all\n    path: /*\n    mode: origin\n    key: x\n", 5, "routes[0].key", "does not apply to a route with mode: origin"),
        ("routes:\n  - name: all\n    path: /*\n    mode: origin\n    vary: [a]\n", 5, "routes[0].vary", "does not apply"),
        ("routes:\n  - name: all\n    path: /*\n    mode: origin\n    stale_while_revalidate: 5\n", 5, "routes[0].stale_while_revalidate", "does not apply"),
        ("routes:\n  - name: all\n    path: /a/*/b\n    mode: origin\n", 2, "routes[0]", "holds a reserved character"),
        ("routes:\n  - name: all\n    path: /*\n    mode: [origin]\n", 4, "routes[0].mode", "must be"),
    ]

    @Test(arguments: bad) func badOriginRoutesNameLineAndField(_ c: (String, Int, String, String)) {
        do {
            _ = try ConfigurationLoader.parse(yaml: c.0, file: "test.yaml")
            Issue.record("accepted: \(c.0)")
        } catch {
            #expect(error.line == c.1 && error.field == c.2 && error.message.contains(c.3), "\(error)")
        }
    }
}
