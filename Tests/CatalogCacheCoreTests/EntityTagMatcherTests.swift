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

    /// Noise built from the grammar's pieces: a match needs `*` alone or the quoted tag itself
    /// in the field, and the weak comparison makes `"a"`, `W/"a"` and a bare `a` the same target.
    @Test func generatedHeadersMatchOnlyWhenTheyNameTheTag() {
        var generator = SeededGenerator(seed: 3)
        let atoms = ["\"", "W/", "w/", ",", " ", "*", "a", "b", "\t", "é", "\u{0}"]
        var matched = 0
        for _ in 0..<20_000 {
            let header = (0..<Int.random(in: 0...10, using: &generator)).map { _ in generator.element(of: atoms) }.joined()
            let result = EntityTagMatcher.ifNoneMatch(header, matches: "\"a\"")
            if result { matched += 1 }
            let isWhitespace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
            let bare = header.drop(while: isWhitespace).reversed().drop(while: isWhitespace)
            #expect(!result || String(bare) == "*" || header.contains("\"a\""), "\(header.debugDescription)")
            #expect(EntityTagMatcher.ifNoneMatch(header, matches: "W/\"a\"") == result, "\(header.debugDescription)")
            #expect(EntityTagMatcher.ifNoneMatch(header, matches: "a") == result, "\(header.debugDescription)")
        }
        #expect(matched > 0)
    }

    /// Well-formed lists (tags that may hold commas, weak or strong, any separators): the field
    /// matches exactly when one of its tags is the representation's.
    @Test func wellFormedListsMatchExactlyWhenTheyHoldTheTag() {
        var generator = SeededGenerator(seed: 0xE7A6)
        let opaques = ["a", "b", "ab", "a,b", ""]
        let separators = [",", ", ", " ,", ",,", " , ", ",\t"]
        for _ in 0..<5_000 {
            let tags = (0..<Int.random(in: 1...4, using: &generator)).map { _ in generator.element(of: opaques) }
            var header = ""
            for (index, tag) in tags.enumerated() {
                if index > 0 { header += generator.element(of: separators) }
                header += (Bool.random(using: &generator) ? "W/" : "") + "\"\(tag)\""
            }
            #expect(EntityTagMatcher.ifNoneMatch(header, matches: "\"a\"") == tags.contains("a"), "\(header)")
            #expect(EntityTagMatcher.ifNoneMatch(header, matches: "\"a,b\"") == tags.contains("a,b"), "\(header)")
        }
    }

}
