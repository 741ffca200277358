import Testing
import CatalogCacheCore

@Suite struct PathPatternTests {
    @Test func parsesLiteralsAndPlaceholders() throws {
        let pattern = try PathPattern("/store/products/{id}")
        #expect(pattern.segments == [.literal("store"), .literal("products"), .placeholder("id")])
        #expect(pattern.placeholderNames == ["id"])
        #expect(pattern.description == "/store/products/{id}")
        #expect(try PathPattern("/").segments == [])
    }

    @Test(arguments: [
        ("/store/products/{id}", "/store/products/prod_1", ["id": "prod_1"]),
        ("/store/products/{id}", "/store/products/a%3Bb", ["id": "a%3Bb"]),
        ("/store/{kind}/{id}", "/store/products/p1", ["kind": "products", "id": "p1"]),
        ("/store/regions", "/store/regions", [:]),
        ("/", "/", [:]),
    ] as [(String, String, [String: String])])
    func matches(pattern: String, path: String, expected: [String: String]) throws {
        #expect(try PathPattern(pattern).match(path) == expected)
    }

    @Test(arguments: [
        ("/store/products/{id}", "/store/products"),
        ("/store/products/{id}", "/store/products/"),
        ("/store/products/{id}", "/store/products/p1/variants"),
        ("/store/products/{id}", "/store/Products/p1"),
        ("/store/products/{id}", "store/products/p1"),
        ("/store/products", "/store/products/"),
        ("/store/products", "/store/product"),
        ("/store/products", "/store/productsx"),
        ("/", "/store"),
        ("/store", "/"),
    ])
    func doesNotMatch(pattern: String, path: String) throws {
        #expect(try PathPattern(pattern).match(path) == nil)
    }

    @Test(arguments: [
        "", "store", "//", "/store/", "/store//x", "/store/{}", "/store/{id", "/store/id}", "/store/{i-d}",
        "/store/{1id}", "/store/{id}/{id}", "/store/x{id}", "/store/{id}x", "/store/.", "/store/..", "/a%2Fb", "/a?b",
    ])
    func rejectsInvalidPatterns(pattern: String) {
        #expect(throws: RouteError.self) { try PathPattern(pattern) }
    }

    @Test func errorsCarryAMessage() {
        do {
            _ = try PathPattern("/store/{id}/{id}")
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("appears twice"))
        }
    }
}

@Suite struct KeyTemplateTests {
    @Test func parsesParts() throws {
        #expect(try KeyTemplate("hero_banners:active").parts == [.literal("hero_banners:active")])
        #expect(try KeyTemplate("hero_banners:active").isFixed)
        let template = try KeyTemplate("product:{id}:{hash}")
        #expect(template.parts == [.literal("product:"), .placeholder("id"), .literal(":"), .placeholder("hash")])
        #expect(template.placeholderNames == ["id", "hash"])
        #expect(template.usesHash)
        #expect(!(try KeyTemplate("product:{id}")).usesHash)
        #expect(try KeyTemplate("{hash}").parts == [.placeholder("hash")])
    }

    @Test(arguments: ["", "a:{", "a:{id", "a:}", "a:{}", "a:{-}", "a:{id}{hash}", "a:{{id}}", "{a b}"])
    func rejectsInvalidTemplates(template: String) {
        #expect(throws: RouteError.self) { try KeyTemplate(template) }
    }

    @Test func expands() throws {
        let template = try KeyTemplate("product:{id}:{hash}")
        #expect(template.expand { ["id": "p1", "hash": "abc"][$0] } == "product:p1:abc")
        #expect(template.expand { _ in nil } == "product:{id}:{hash}")
    }
}

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

@Suite struct RouteTableTests {
    private func table() throws -> RouteTable {
        RouteTable([
            try RouteRule(name: "featured", path: "/store/products/featured", key: "featured", ttl: 60),
            try RouteRule(name: "product", path: "/store/products/{id}", key: "product:{id}:{hash}", ttl: 60),
            try RouteRule(name: "products", path: "/store/products", key: "products:{hash}", ttl: 60),
            try RouteRule(name: "shadowed", path: "/store/products/featured", key: "never", ttl: 60),
            try RouteRule(name: "root", path: "/", key: "root", ttl: 60),
        ])
    }

    @Test(arguments: [
        ("/store/products/featured", "featured", [:]),
        ("/store/products/prod_1", "product", ["id": "prod_1"]),
        ("/store/products", "products", [:]),
        ("/", "root", [:]),
    ] as [(String, String, [String: String])])
    func firstMatchInDeclarationOrder(path: String, rule: String, parameters: [String: String]) throws {
        let match = try #require(try table().match(path: path))
        #expect(match.rule.name == rule)
        #expect(match.parameters == parameters)
    }

    @Test func declarationOrderDecidesBetweenLiteralAndPlaceholder() throws {
        let placeholderFirst = RouteTable([
            try RouteRule(name: "product", path: "/store/products/{id}", key: "p:{id}", ttl: 1),
            try RouteRule(name: "featured", path: "/store/products/featured", key: "f", ttl: 1),
        ])
        #expect(placeholderFirst.match(path: "/store/products/featured")?.rule.name == "product")
    }

    @Test(arguments: ["/store/products/", "/store/products/p1/variants", "/store", "/admin/products", "", "store/products"])
    func noMatch(path: String) throws {
        #expect(try table().match(path: path) == nil)
    }

    @Test func matchTags() throws {
        let rule = try RouteRule(name: "p", path: "/store/products/{id}", key: "p:{id}", ttl: 1, tags: ["product:{id}"])
        #expect(RouteTable([rule]).match(path: "/store/products/x")?.tags == ["product:x"])
    }
}

@Suite struct RequestTargetTests {
    @Test(arguments: [
        ("/store/products", "/store/products", nil),
        ("/store/products?", "/store/products", ""),
        ("/store/products?a=1&b=2", "/store/products", "a=1&b=2"),
        ("/p?a=?b", "/p", "a=?b"),
        ("?x", "", "x"),
    ] as [(String, String, String?)])
    func splits(target: String, path: String, query: String?) {
        let parts = RequestTarget.split(target)
        #expect(parts.path == path)
        #expect(parts.query.map(String.init) == query)
    }
}
