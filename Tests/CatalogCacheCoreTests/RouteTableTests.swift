import Testing
import CatalogCacheCore

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
