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
