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
}

@Suite struct HTTPDateTests {
    static let valid: [(String, Int64)] = [
        ("Sun, 06 Nov 1994 08:49:37 GMT", 784_111_777),
        ("Sunday, 06-Nov-94 08:49:37 GMT", 784_111_777),
        ("Sun Nov  6 08:49:37 1994", 784_111_777),
        ("  Thu, 01 Jan 1970 00:00:00 GMT ", 0),
        ("Tue, 29 Feb 2000 23:59:59 GMT", 951_868_799),
        ("Fri, 31 Dec 9999 23:59:59 GMT", 253_402_300_799),
        ("Wednesday, 01-Jan-25 00:00:00 GMT", 1_735_689_600),
        ("sun, 06 NOV 1994 08:49:37 gmt", 784_111_777),
    ]
    static let invalid = [
        "0", "", "-1", "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 6 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 31 Feb 1994 08:49:37 GMT", "Xyz, 06 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37 GMT extra", "Sun, 06 Nov 94 08:49:37 GMT", "Sun Nov 6 08:49:37 1994",
        "Sun, 06 Nov 1994 08:49 GMT", "Mon, 29 Feb 1900 00:00:00 GMT",
    ]

    @Test(arguments: valid) func parsesValidDates(_ c: (String, Int64)) {
        #expect(HTTPDate.parse(c.0) == c.1)
    }

    @Test(arguments: invalid) func rejectsInvalidDates(_ text: String) {
        #expect(HTTPDate.parse(text) == nil)
    }

    @Test func twoDigitYearsWithinFiftyYears() {
        #expect(HTTPDate.parse("Tuesday, 01-Jan-80 00:00:00 GMT", referenceYear: 2026) == 315_532_800)
        #expect(HTTPDate.parse("Saturday, 01-Jan-50 00:00:00 GMT", referenceYear: 2026) == 2_524_608_000)
    }

    @Test func formatRoundTrips() {
        var generator = SeededGenerator(seed: 0xDA7E)
        for _ in 0..<2_000 {
            let seconds = Int64.random(in: 0...253_402_300_799, using: &generator)
            #expect(HTTPDate.parse(HTTPDate.format(seconds)) == seconds)
        }
        #expect(HTTPDate.format(784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
    }

    @Test func fuzzedInputsNeverCrash() {
        var generator = SeededGenerator(seed: 0xF022)
        let seed = Array("Sun, 06 Nov 1994 08:49:37 GMT".utf8)
        for _ in 0..<20_000 {
            var bytes = seed
            for _ in 0..<Int.random(in: 1...3, using: &generator) where !bytes.isEmpty {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            _ = HTTPDate.parse(String(decoding: bytes, as: UTF8.self))
            _ = CacheControlDirectives(String(decoding: bytes, as: UTF8.self))
        }
    }
}

@Suite struct EntryEnvelopeVersion2Tests {
    static let origin = EntryMetadata(
        status: 203, contentType: "text/plain", etag: "ba7816bf8f01cfea414140de5dae2223", storedAt: 1_700_000_000_123, ttl: 0,
        identityLength: 3, tags: ["t"], extraHeaders: [HeaderField(name: "ETag", value: "\"x\""), HeaderField(name: "Vary", value: "Accept")],
        kind: .originResponse, initialAge: 1500, variantKey: "0123456789abcdef0123456789abcdef"
    )

    @Test func roundTripsAndVersionByte() throws {
        let bytes = EntryEnvelope.encode(metadata: Self.origin, body: Array("abc".utf8))
        #expect(bytes[3] == 2)
        let (meta, body) = try EntryEnvelope.decode(bytes)
        #expect(meta == Self.origin && Array(body) == Array("abc".utf8))
        // Configured entries keep version 1.
        #expect(EntryEnvelope.encode(metadata: EntryEnvelopeTests.sample, body: Array("abc".utf8))[3] == 1)
        var index = Self.origin
        index.kind = .varyIndex
        index.identityLength = 0
        #expect(try EntryEnvelope.decode(EntryEnvelope.encode(metadata: index, body: [UInt8]())).0 == index)
    }

    @Test func version2OfKindConfiguredIsRejected() {
        var meta = Self.origin
        meta.kind = .configured  // still version 2 because of initialAge
        let bytes = EntryEnvelope.encode(metadata: meta, body: Array("abc".utf8))
        #expect(throws: EntryDecodingError.invalidField("kind")) { try EntryEnvelope.decode(bytes) }
    }

    @Test func fuzzedVersion2InputsNeverCrash() {
        var generator = SeededGenerator(seed: 0xCCE2)
        let valid = EntryEnvelope.encode(metadata: Self.origin, body: Array("abc".utf8))
        var decoded = 0
        for _ in 0..<50_000 {
            let input = generator.mutated(valid)
            if let (meta, body) = try? EntryEnvelope.decode(input) {
                decoded += 1
                #expect(EntryEnvelope.encode(metadata: meta, body: body) == input)
            }
        }
        #expect(decoded > 0)
    }
}

@Suite struct CatchAllPatternTests {
    static let cases: [(String, String, Bool)] = [
        ("/*", "/", true), ("/*", "/a/b/c", true), ("/static/*", "/static", true), ("/static/*", "/static/x/y", true),
        ("/static/*", "/staticx", false), ("/static/*", "/other/static", false), ("/static/*", "/static/", true),
    ]

    @Test(arguments: cases) func matches(_ c: (String, String, Bool)) throws {
        let pattern = try PathPattern(c.0)
        #expect(pattern.isCatchAll)
        #expect((pattern.match(c.1) != nil) == c.2)
        let table = RouteTable([try RouteRule(name: "r", path: c.0, key: "{hash}", ttl: 1, mode: .origin)])
        #expect((table.match(path: c.1) != nil) == c.2)
    }

    @Test func starOnlyAsLastSegment() {
        #expect(throws: RouteError.self) { try PathPattern("/a/*/b") }
        #expect(throws: RouteError.self) { try PathPattern("/a*") }
        #expect(!((try? PathPattern("/a/b"))?.isCatchAll ?? true))
    }
}
