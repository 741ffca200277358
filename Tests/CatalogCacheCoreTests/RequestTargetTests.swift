import Testing
import CatalogCacheCore

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
