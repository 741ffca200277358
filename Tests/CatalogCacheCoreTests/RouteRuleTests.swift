import Testing
import CatalogCacheCore

@Suite struct RouteRuleTests {
    @Test func validRuleAndDefaults() throws {
        let rule = try RouteRule(name: "product", path: "/store/products/{id}", key: "product:{id}:{hash}", ttl: 60,
                                 staleWhileRevalidate: 30, varyHeaders: ["X-Region", "accept-language"],
                                 tags: ["product:{id}", "products"])
        #expect(rule.varyHeaders == ["x-region", "accept-language"])
        #expect(rule.cacheableStatuses == [200])
        #expect(!rule.isPublic)
        #expect(rule.cacheControlHeader == "public, max-age=60, stale-while-revalidate=30")
        #expect(rule.tags(for: ["id": "prod_1"]) == ["product:prod_1", "products"])
    }

    @Test(arguments: RouteRule.reservedKeyNamespaces)
    func aKeyMayNotStartWithAStoreNamespace(namespace: String) throws {
        #expect(throws: RouteError.self) {
            try RouteRule(name: "r", path: "/store/products/{id}", key: namespace + "{id}", ttl: 60)
        }
        // Elsewhere in the key, or as a longer word, the same letters are fine.
        _ = try RouteRule(name: "r", path: "/store/products/{id}", key: "p:" + namespace + "{id}", ttl: 60)
        _ = try RouteRule(name: "r", path: "/store/products/{id}", key: "x" + namespace + "{id}", ttl: 60)
    }

    @Test func cacheControlHeader() throws {
        let withError = try RouteRule(name: "r", path: "/a", key: "a", ttl: 10, staleWhileRevalidate: 0, staleIfError: 300)
        #expect(withError.cacheControlHeader == "public, max-age=10, stale-while-revalidate=0, stale-if-error=300")
        let overridden = try RouteRule(name: "r", path: "/a", key: "a", ttl: 10, cacheControl: "public, max-age=5")
        #expect(overridden.cacheControlHeader == "public, max-age=5")
    }

    @Test func tagsDeduplicateAndKeepOrder() throws {
        let rule = try RouteRule(name: "r", path: "/store/{kind}/{id}", key: "k:{hash}", ttl: 1,
                                 tags: ["{kind}:{id}", "all", "{kind}:{id}", "all"])
        #expect(rule.tags(for: ["kind": "products", "id": "1"]) == ["products:1", "all"])
    }

    @Test func rejectsInconsistentRules() throws {
        let invalid: [() throws -> RouteRule] = [
            { try RouteRule(name: "", path: "/a", key: "a", ttl: 1) },
            { try RouteRule(name: "r", path: "/a", key: "a", ttl: 0) },
            { try RouteRule(name: "r", path: "/a", key: "a", ttl: -5) },
            { try RouteRule(name: "r", path: "/a", key: "a", ttl: RouteRule.maximumSeconds + 1) },
            { try RouteRule(name: "r", path: "/a", key: "a", ttl: 1, staleWhileRevalidate: -1) },
            { try RouteRule(name: "r", path: "/a", key: "a", ttl: 1, staleIfError: -1) },
            { try RouteRule(name: "r", path: "/a/{id}", key: "p:{slug}", ttl: 1) },
            { try RouteRule(name: "r", path: "/a/{id}", key: "p:{id}", ttl: 1, tags: ["x:{hash}"]) },
            { try RouteRule(name: "r", path: "/a/{id}", key: "p:{id}", ttl: 1, tags: ["x:{other}"]) },
            { try RouteRule(name: "r", path: "/a/{id}", key: "p:{id}", ttl: 1, tags: ["x:{"]) },
            { try RouteRule(name: "r", path: "/a", key: "a", ttl: 1, varyHeaders: ["x-region"]) },
            { try RouteRule(name: "r", path: "/a", key: "a:{hash}", ttl: 1, varyHeaders: ["bad header"]) },
            { try RouteRule(name: "r", path: "/a", key: "a:{hash}", ttl: 1, varyHeaders: ["X", "x"]) },
            { try RouteRule(name: "r", path: "/a", key: "a", ttl: 1, cacheableStatuses: []) },
            { try RouteRule(name: "r", path: "/a", key: "a", ttl: 1, cacheableStatuses: [200, 99]) },
            { try RouteRule(name: "r", path: "/a", key: "a", ttl: 1, cacheControl: "public\r\nX: y") },
            { try RouteRule(name: "r", path: "a", key: "a", ttl: 1) },
            { try RouteRule(name: "r", path: "/a/{hash}", key: "a:{hash}", ttl: 1) },
        ]
        for (index, make) in invalid.enumerated() {
            #expect(throws: RouteError.self, "case \(index)") { try make() }
        }
        let unknown = #expect(throws: RouteError.self) {
            try RouteRule(name: "r", path: "/a/{id}", key: "p:{slug}", ttl: 1)
        }
        #expect(unknown?.message.contains("{slug}") == true)
    }
}
