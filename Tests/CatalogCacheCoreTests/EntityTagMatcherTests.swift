import CatalogTestSupport
import Testing
import CatalogCacheCore

@Suite struct EntityTagMatcherTests {
    @Test(arguments: [
        ("*", "\"abc\"", true),
        (" * ", "\"abc\"", true),
        ("\"abc\"", "\"abc\"", true),
        ("\"abc\"", "abc", true),
        ("\"abc\"", "W/\"abc\"", true),
        ("W/\"abc\"", "\"abc\"", true),
        ("\"abd\"", "\"abc\"", false),
        ("\"ABC\"", "\"abc\"", false),
        ("\"x\", \"abc\"", "\"abc\"", true),
        ("\"x\",\"y\" , W/\"abc\"", "\"abc\"", true),
        ("\"x\", \"y\"", "\"abc\"", false),
        ("\"a,b\"", "\"a,b\"", true),
        ("\"a,b\"", "\"a\"", false),
        ("\"a,b\"", "\"b\"", false),
        ("\"x\", \"a,b\"", "\"a,b\"", true),
        ("\"abc-gzip\"", "\"abc\"", false),
        ("\"abc\"", "\"abc-gzip\"", false),
        ("\"\"", "\"\"", true),
        (", \"abc\",", "\"abc\"", true),
        // Malformed fields match nothing.
        ("", "\"abc\"", false),
        ("abc", "abc", false),
        ("\"abc", "\"abc\"", false),
        ("\"abc\" x", "\"abc\"", false),
        ("\"abc\", *", "\"abc\"", false),
        ("*, \"abc\"", "\"abc\"", false),
        ("w/\"abc\"", "\"abc\"", false),
        ("\"ab c\"", "\"ab c\"", false),
        ("\"abc\"\"abc\"", "\"abc\"", false),
    ])
    func ifNoneMatch(header: String, etag: String, expected: Bool) {
        #expect(EntityTagMatcher.ifNoneMatch(header, matches: etag) == expected)
    }

    @Test func representationsOfOneEntryDiffer() {
        let meta = EntryMetadata(status: 200, contentType: "a", etag: "0123", storedAt: 0, ttl: 1, identityLength: 0)
        let identity = meta.etagValue(for: .identity)
        let gzip = meta.etagValue(for: .gzip)
        #expect(EntityTagMatcher.ifNoneMatch(identity, matches: identity))
        #expect(EntityTagMatcher.ifNoneMatch(gzip, matches: gzip))
        #expect(!EntityTagMatcher.ifNoneMatch(identity, matches: gzip))
        #expect(!EntityTagMatcher.ifNoneMatch(gzip, matches: identity))
        #expect(EntityTagMatcher.ifNoneMatch("\(identity), \(gzip)", matches: gzip))
    }

    @Test func neverCrashesOnGeneratedHeaders() {
        var generator = SeededGenerator(seed: 3)
        let atoms = ["\"", "W/", "w/", ",", " ", "*", "a", "b", "\t", "é", "\u{0}"]
        for _ in 0..<20_000 {
            let header = (0..<Int.random(in: 0...10, using: &generator)).map { _ in generator.element(of: atoms) }.joined()
            _ = EntityTagMatcher.ifNoneMatch(header, matches: "\"a\"")
        }
    }
}
