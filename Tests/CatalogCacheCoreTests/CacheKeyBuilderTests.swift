import CatalogTestSupport
import Testing
import CatalogCacheCore

@Suite struct CacheKeyBuilderTests {
    private let builder = CacheKeyBuilder(prefix: "cc:")

    private func rule(key: String = "products:{hash}", vary: [String] = [], name: String = "products",
                      path: String = "/store/products") throws -> RouteRule {
        try RouteRule(name: name, path: path, key: key, ttl: 60, varyHeaders: vary)
    }

    private func key(_ rule: RouteRule, path: String, query: String?, headers values: [String: String] = [:]) throws -> String {
        let match = try #require(RouteTable([rule]).match(path: path))
        return builder.key(for: match, path: path, query: query.map { Substring($0) }, headerValue: headers(values))
    }

    @Test func fixedTemplateIgnoresQuery() throws {
        let fixed = try rule(key: "hero_banners:active")
        #expect(try key(fixed, path: "/store/products", query: "a=1") == "cc:hero_banners:active")
        #expect(try key(fixed, path: "/store/products", query: nil) == "cc:hero_banners:active")
    }

    @Test func hashShapeAndKnownAnswer() throws {
        let key = try key(rule(), path: "/store/products", query: "b=2&a=1")
        #expect(key.hasPrefix("cc:products:"))
        let digest = String(key.dropFirst("cc:products:".count))
        #expect(digest.count == 32)
        #expect(digest.allSatisfy { "0123456789abcdef".contains($0) })
        // Recompute the documented encoding by hand.
        func field(_ text: String) -> [UInt8] {
            let bytes = Array(text.utf8)
            return withUnsafeBytes(of: UInt64(bytes.count).bigEndian, Array.init) + bytes
        }
        var input = Array("catalog-cache key v2".utf8)
        input += field("products") + field("/store/products") + field("a=1&b=2")
        input += withUnsafeBytes(of: UInt64(0).bigEndian, Array.init)
        #expect(digest == String(SHA256.hex(input).prefix(32)))
        #expect(digest == CacheKeyBuilder.digest(routeName: "products", path: "/store/products",
                                                 canonicalQuery: "a=1&b=2", varyHeaders: []))
    }

    @Test func pathParametersAndHash() throws {
        let product = try rule(key: "product:{id}:{hash}", name: "product", path: "/store/products/{id}")
        let key = try key(product, path: "/store/products/prod_1", query: nil)
        #expect(key.hasPrefix("cc:product:prod_1:"))
        #expect(key.count == "cc:product:prod_1:".count + 32)
    }

    @Test func reorderingQueryNeverChangesTheKey() throws {
        let products = try rule()
        let reference = try key(products, path: "/store/products", query: "limit=10&offset=20&fields=id%2Ctitle")
        for query in ["offset=20&limit=10&fields=id%2Ctitle", "fields=id%2ctitle&offset=20&limit=10",
                      "fields=id%2Ctitle&limit=1%30&offset=20", "limit=10&&offset=20&fields=id%2Ctitle&"] {
            #expect(try key(products, path: "/store/products", query: query) == reference, "\(query)")
        }
    }

    @Test func anyDifferenceChangesTheKey() throws {
        let products = try rule(vary: ["x-region"])
        let product = try rule(key: "products:{hash}", name: "other", path: "/store/products")
        let variants: [(RouteRule, String, String?, [String: String])] = [
            (products, "/store/products", "a=1&b=2", ["x-region": "eu"]),
            (products, "/store/products", "a=1%26b%3D2", ["x-region": "eu"]),   // one parameter holding "&" and "="
            (products, "/store/products", "a=1&b=3", ["x-region": "eu"]),
            (products, "/store/products", "a=1&b=2&b=2", ["x-region": "eu"]),
            (products, "/store/products", "b=2&a=1&a=1", ["x-region": "eu"]),
            (products, "/store/products", "id=1&id=2", ["x-region": "eu"]),
            (products, "/store/products", "id=2&id=1", ["x-region": "eu"]),
            (products, "/store/products", "a=1&b=2", ["x-region": "us"]),
            (products, "/store/products", "a=1&b=2", ["x-region": ""]),
            (products, "/store/products", "a=1&b=2", [:]),
            (products, "/store/products", nil, ["x-region": "eu"]),
            (products, "/store/products", "", [:]),
            (products, "/store/products", "a", [:]),
            (products, "/store/products", "%61", ["x-region": "eu", "other": "ignored-but-distinct-header"]),
            (product, "/store/products", "a=1&b=2", ["x-region": "eu"]),       // same path, other route name
        ]
        var seen: [String: Int] = [:]
        for (index, variant) in variants.enumerated() {
            let key = try key(variant.0, path: variant.1, query: variant.2, headers: variant.3)
            if let previous = seen[key] { Issue.record("variants \(previous) and \(index) share key \(key)") }
            seen[key] = index
        }
        #expect(seen.count == variants.count)
        // nil and empty query are the same request.
        #expect(try key(products, path: "/store/products", query: nil) == key(products, path: "/store/products", query: ""))
        // Absent and empty vary header values differ.
        #expect(try key(products, path: "/store/products", query: nil, headers: [:])
                != key(products, path: "/store/products", query: nil, headers: ["x-region": ""]))
        // Surrounding whitespace of a header value is not part of the value.
        #expect(try key(products, path: "/store/products", query: nil, headers: ["x-region": " eu\t"])
                == key(products, path: "/store/products", query: nil, headers: ["x-region": "eu"]))
        // Headers that are not vary headers are ignored.
        #expect(try key(products, path: "/store/products", query: nil, headers: ["x-region": "eu", "accept": "a"])
                == key(products, path: "/store/products", query: nil, headers: ["x-region": "eu"]))
    }

    /// Attempts to build collisions by moving bytes across field boundaries.
    @Test func boundaryTricksDoNotCollide() {
        let cases: [(String, String, String, [(String, String?)])] = [
            ("r", "/a", "b=1", []),
            ("r", "/a?b=1", "", []),
            ("r", "/a", "", [("b", "1")]),
            ("r/a", "", "b=1", []),
            ("r", "/ab", "=1", []),
            ("r", "/a", "b=1", [("x", nil)]),
            ("r", "/a", "b=1", [("x", "")]),
            ("r", "/a", "b=1", [("x", "y"), ("z", nil)]),
            ("r", "/a", "b=1", [("x", nil), ("z", "y")]),
            ("r", "/a", "b=1", [("xz", "y")]),
            ("r", "/a", "b=1", [("x", "zy")]),
            ("", "r/a", "b=1", []),
        ]
        let digests = cases.map { CacheKeyBuilder.digest(routeName: $0.0, path: $0.1, canonicalQuery: $0.2, varyHeaders: $0.3.map { (name: $0.0, value: $0.1) }) }
        #expect(Set(digests).count == digests.count)
    }

    @Test func generatedQueriesCollideOnlyWhenCanonicallyEqual() throws {
        let products = try rule()
        var generator = SeededGenerator(seed: 99)
        let atoms = ["a", "b", "=", "&", "%26", "%3D", "1", "+", "%20", "%2B", "%zz", "%FF", "%25"]
        var byKey: [String: String] = [:]
        for _ in 0..<3_000 {
            let query = (0..<Int.random(in: 0...6, using: &generator)).map { _ in generator.element(of: atoms) }.joined()
            let key = try key(products, path: "/store/products", query: query)
            let canonical = QueryNormalizer.canonical(query: Substring(query))
            if let other = byKey[key] {
                #expect(other == canonical, "\(query) collides with a query of canonical form \(other)")
            }
            byKey[key] = canonical
        }
        #expect(byKey.count > 100)
    }
}
