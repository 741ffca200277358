import CatalogTestSupport
import Testing
import CatalogCacheCore

@Suite struct PathNormalizerTests {
    @Test(arguments: [
        ("/", "/"),
        ("/store/products", "/store/products"),
        ("/store//products", "/store/products"),
        ("//store///products//x", "/store/products/x"),
        ("/store/products/", "/store/products/"),
        ("/store/products//", "/store/products/"),
        ("/store/./products", "/store/products"),
        ("/./store", "/store"),
        ("/store/../admin/x", "/admin/x"),
        ("/store/%2e%2e/admin", "/admin"),
        ("/store/%2E%2E/admin", "/admin"),
        ("/store/.%2e/admin", "/admin"),
        ("/store/%2e/products", "/store/products"),
        ("/..", "/"),
        ("/../../x", "/x"),
        ("/a/b/..", "/a/"),
        ("/a/b/.", "/a/b/"),
        ("/a/..", "/"),
        ("/a/...", "/a/..."),
        ("/a/..b", "/a/..b"),
        ("/store/products/%70rod_1", "/store/products/prod_1"),
        ("/store/%7Eabc%2D%5F%2E", "/store/~abc-_."),
        ("/a%3Bb", "/a%3Bb"),
        ("/a%3bb", "/a%3Bb"),
        ("/a;b", "/a;b"),
        ("/a:b@c!$&'()*+,=", "/a:b@c!$&'()*+,="),
        ("/caf%c3%a9", "/caf%C3%A9"),
        ("/café", "/caf%C3%A9"),
        ("/a b", "/a%20b"),
        ("/a%20b", "/a%20b"),
        ("/a\"b<c>", "/a%22b%3Cc%3E"),
        ("/a%25b", "/a%25b"),
    ])
    func accepted(raw: String, expected: String) {
        #expect(PathNormalizer.normalize(raw) == expected)
    }

    @Test(arguments: [
        "", "store/products", "*",
        "/a%2Fb", "/a%2fb", "/store%2F..%2Fadmin", "/%2e%2e%2fadmin",
        "/a%5Cb", "/a%5cb", "/a\\b", "/..\\admin",
        "/a%00b", "/a%0Ab", "/a%0d", "/a%1F", "/a%7f", "/a%7F",
        "/a\u{0}b", "/a\nb", "/a\rb", "/a\tb", "/a\u{7F}",
        "/a%", "/a%2", "/a%zz", "/a%g1", "/a%%32",
        "/a?b", "/a#b",
    ])
    func rejected(raw: String) {
        #expect(PathNormalizer.normalize(raw) == nil)
    }

    /// Normalized paths are fixed points, and never contain dot segments or empty segments.
    @Test func normalizationIsIdempotentOnGeneratedPaths() {
        var generator = SeededGenerator(seed: 11)
        let pieces = ["a", "b", ".", "..", "", "%2e", "%2E%2e", "%41", "%3B", ";", "~", "%7e", "é", " ", "x%20y", "%c3%a9"]
        for _ in 0..<5_000 {
            let count = Int.random(in: 0...6, using: &generator)
            let raw = "/" + (0..<count).map { _ in generator.element(of: pieces) }.joined(separator: "/")
            guard let normalized = PathNormalizer.normalize(raw) else {
                Issue.record("rejected \(raw)")
                continue
            }
            #expect(PathNormalizer.normalize(normalized) == normalized, "\(raw)")
            let segments = normalized.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
            let inner = normalized.hasSuffix("/") ? segments.dropLast() : segments[...]
            #expect(!inner.contains("."), "\(raw) → \(normalized)")
            #expect(!inner.contains(".."), "\(raw) → \(normalized)")
            #expect(normalized == "/" || !inner.contains(""), "\(raw) → \(normalized)")
            #expect(normalized.utf8.allSatisfy { $0 < 0x80 })
        }
    }

    @Test func neverCrashesOnRandomBytes() {
        var generator = SeededGenerator(seed: 12)
        let alphabet = Array("/%.2eEfF5cC0a\\?#\u{0} é".unicodeScalars)
        for _ in 0..<20_000 {
            var raw = "/"
            for _ in 0..<Int.random(in: 0...16, using: &generator) {
                raw.unicodeScalars.append(generator.element(of: alphabet))
            }
            if let normalized = PathNormalizer.normalize(raw) {
                #expect(normalized.hasPrefix("/"))
                #expect(!normalized.contains("%2F") && !normalized.contains("\\"))
                #expect(PathNormalizer.normalize(normalized) == normalized)
            }
        }
    }
}
