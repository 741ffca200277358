import CatalogTestSupport
import Testing
import CatalogCacheCore

@Suite struct CacheControlDirectivesTests {
    struct Case: Sendable, CustomStringConvertible {
        let input: [String]
        let expected: [(String, String?)]
        var description: String { input.joined(separator: " | ") }
    }

    static let cases: [Case] = [
        Case(input: ["max-age=60"], expected: [("max-age", "60")]),
        Case(input: ["Public, MAX-AGE=60"], expected: [("public", nil), ("max-age", "60")]),
        Case(input: ["max-age=\"60\""], expected: [("max-age", "60")]),
        Case(input: ["no-cache=\"Set-Cookie, X-Foo\", private"], expected: [("no-cache", "Set-Cookie, X-Foo"), ("private", nil)]),
        Case(input: ["a=\"x\\\"y\"", "b"], expected: [("a", "x\"y"), ("b", nil)]),
        Case(input: [",,  , max-age=1 ,"], expected: [("max-age", "1")]),
        Case(input: ["max-age =  5"], expected: [("max-age", "5")]),
        Case(input: ["=5, max-age=3"], expected: [("max-age", "3")]),
        Case(input: ["max-age=, s-maxage=2"], expected: [("s-maxage", "2")]),
        Case(input: ["foo bar, max-age=4"], expected: [("max-age", "4")]),
        Case(input: ["max-age=\"unterminated"], expected: []),
        Case(input: ["a=\"x,y\" junk, b"], expected: [("b", nil)]),
        Case(input: [""], expected: []),
        Case(input: ["max-age=1", "max-age=2"], expected: [("max-age", "1"), ("max-age", "2")]),
    ]

    @Test(arguments: cases) func parses(_ c: Case) {
        let parsed = CacheControlDirectives(c.input).directives
        #expect(parsed.map(\.name) == c.expected.map(\.0))
        #expect(parsed.map(\.value) == c.expected.map(\.1))
    }

    @Test func deltaSeconds() {
        #expect(CacheControlDirectives("max-age=10").seconds("max-age") == .seconds(10))
        #expect(CacheControlDirectives("max-age=-1").seconds("max-age") == .invalid)
        #expect(CacheControlDirectives("max-age=1.5").seconds("max-age") == .invalid)
        #expect(CacheControlDirectives("max-age").seconds("max-age") == .invalid)
        #expect(CacheControlDirectives("x").seconds("max-age") == .absent)
        #expect(CacheControlDirectives("max-age=99999999999999999999999").seconds("max-age") == .seconds(DeltaSeconds.cap))
        #expect(CacheControlDirectives("max-age=1, max-age=2").seconds("max-age") == .seconds(1))
    }

    @Test func responseDirectives() {
        let r = ResponseCacheControl(CacheControlDirectives("no-cache=\"x-a, X-B\", private=\"set-cookie\", s-maxage=5, stale-while-revalidate=7, stale-if-error=9, must-revalidate"))
        #expect(!r.noCache && r.noCacheFields == ["x-a", "x-b"])
        #expect(!r.isPrivate && r.privateFields == ["set-cookie"])
        #expect(r.sMaxage == .seconds(5) && r.staleWhileRevalidate == 7 && r.staleIfError == 9 && r.mustRevalidate)
        #expect(r.forbidsStale)
        let plain = ResponseCacheControl(CacheControlDirectives("no-cache, private, no-store, public, proxy-revalidate"))
        #expect(plain.noCache && plain.isPrivate && plain.noStore && plain.isPublic && plain.forbidsStale)
        #expect(ResponseCacheControl(CacheControlDirectives("no-cache=\"\"")).noCache)
    }

    @Test func cdnCacheControlOverridesCacheControl() {
        let r = ResponseCacheControl.effective(cacheControl: ["no-store"], cdnCacheControl: ["max-age=30"])
        #expect(!r.noStore && r.maxAge == .seconds(30))
        let fallback = ResponseCacheControl.effective(cacheControl: ["max-age=5"], cdnCacheControl: ["   "])
        #expect(fallback.maxAge == .seconds(5))
        for invalid in ["max-age=\"10000\"", "max-age=10000, &&&&&", "Max-Age=5", "max-age=-1"] {
            let ignored = ResponseCacheControl.effective(cacheControl: ["no-store"], cdnCacheControl: [invalid])
            #expect(ignored.noStore && ignored.maxAge == .absent, "\(invalid)")
        }
    }

    @Test func requestDirectives() {
        let r = RequestCacheControl(cacheControl: ["max-age=5, max-stale, min-fresh=3, no-store, only-if-cached"])
        #expect(r.maxAge == 5 && r.maxStale == .any && r.minFresh == 3 && r.noStore && r.onlyIfCached && !r.noCache)
        #expect(RequestCacheControl(cacheControl: ["max-stale=10"]).maxStale == .seconds(10))
        #expect(RequestCacheControl(cacheControl: ["max-stale=abc"]).maxStale == nil)
        #expect(RequestCacheControl(cacheControl: [], pragma: ["no-cache"]).noCache)
        #expect(!RequestCacheControl(cacheControl: ["max-age=1"], pragma: ["no-cache"]).noCache)
        #expect(RequestCacheControl(cacheControl: ["max-age=-3"]).maxAge == nil)
    }

    /// Generated field values: parsing never traps and keeps its invariants whatever the input:
    /// names are non-empty lowercase tokens, and no more directives come out than there are
    /// list elements (commas + 1).
    @Test func generatedFieldValuesKeepTheParsersInvariants() {
        var generator = SeededGenerator(seed: 0xCC0)
        let atoms = ["max-age", "S-MAXAGE", "no-cache", "private", "=", "60", "\"", "\\", ",", " ", "\t", ";", "é", "\u{0}",
                     "=\"set-cookie, x-a\"", "stale-if-error=", "()", "{", "x"]
        let tokenCharacters = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz".utf8)
        var parsed = 0
        for _ in 0..<20_000 {
            let lines = (0..<Int.random(in: 1...2, using: &generator)).map { _ in
                (0..<Int.random(in: 0...12, using: &generator)).map { _ in generator.element(of: atoms) }.joined()
            }
            let directives = CacheControlDirectives(lines)
            parsed += directives.directives.count
            let elements = lines.reduce(0) { $0 + $1.utf8.filter { $0 == UInt8(ascii: ",") }.count + 1 }
            #expect(directives.directives.count <= elements, "\(lines)")
            for directive in directives.directives {
                #expect(!directive.name.isEmpty && directive.name.utf8.allSatisfy(tokenCharacters.contains), "\(lines)")
                _ = directives.seconds(directive.name)
            }
        }
        #expect(parsed > 1_000)  // the generator reaches the accepting paths, not only refusals
    }
}
