import Testing
import CatalogCacheCore

/// RFC 9111 rules of the pure core, table-driven, with an injected clock.
@Suite struct FreshnessLifetimeTests {
    static let now: Int64 = 784_111_777  // Sun, 06 Nov 1994 08:49:37 GMT
    static let date = "Sun, 06 Nov 1994 08:49:37 GMT"

    struct Case: Sendable, CustomStringConvertible {
        let name: String
        var cc: [String] = []
        var cdn: [String] = []
        var expires: [String] = []
        var date: [String] = [FreshnessLifetimeTests.date]
        var lastModified: [String] = []
        var status = 200
        let seconds: Int64
        let source: FreshnessLifetime.Source
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "s-maxage wins", cc: ["max-age=10, s-maxage=20"], expires: ["Sun, 06 Nov 1994 09:49:37 GMT"], seconds: 20, source: .sMaxage),
        Case(name: "max-age over Expires", cc: ["max-age=10"], expires: ["Sun, 06 Nov 1994 09:49:37 GMT"], seconds: 10, source: .maxAge),
        Case(name: "Expires minus Date", expires: ["Sun, 06 Nov 1994 09:49:37 GMT"], seconds: 3600, source: .expires),
        Case(name: "Expires without Date uses response time", expires: ["Sun, 06 Nov 1994 08:50:37 GMT"], date: [], seconds: 60, source: .expires),
        Case(name: "Expires in the past", expires: ["Sun, 06 Nov 1994 08:00:00 GMT"], seconds: 0, source: .expires),
        Case(name: "invalid Expires is stale", expires: ["0"], lastModified: ["Sun, 06 Nov 1994 07:49:37 GMT"], seconds: 0, source: .expires),
        Case(name: "two Expires are stale", expires: ["Sun, 06 Nov 1994 09:49:37 GMT", "Sun, 06 Nov 1994 09:49:37 GMT"], seconds: 0, source: .expires),
        Case(name: "invalid max-age is stale", cc: ["max-age=abc"], expires: ["Sun, 06 Nov 1994 09:49:37 GMT"], seconds: 0, source: .maxAge),
        Case(name: "heuristic 10% of age since modification", lastModified: ["Sun, 06 Nov 1994 07:49:37 GMT"], seconds: 360, source: .heuristic),
        Case(name: "heuristic capped", lastModified: ["Thu, 01 Jan 1970 00:00:00 GMT"], seconds: 86_400, source: .heuristic),
        Case(name: "no heuristic for 302", lastModified: ["Sun, 06 Nov 1994 07:49:37 GMT"], status: 302, seconds: 0, source: .none),
        Case(name: "heuristic for public 302", cc: ["public"], lastModified: ["Sun, 06 Nov 1994 07:49:37 GMT"], status: 302, seconds: 360, source: .heuristic),
        Case(name: "future Last-Modified", lastModified: ["Sun, 06 Nov 1994 09:49:37 GMT"], seconds: 0, source: .none),
        Case(name: "nothing", seconds: 0, source: .none),
        Case(name: "CDN-Cache-Control over Cache-Control", cc: ["max-age=10"], cdn: ["max-age=99"], seconds: 99, source: .maxAge),
        Case(name: "CDN-Cache-Control no-store still has lifetime from its own", cc: ["max-age=10"], cdn: ["no-store"], seconds: 0, source: .none),
    ]

    @Test(arguments: cases) func lifetime(_ c: Case) {
        let directives = ResponseCacheControl.effective(cacheControl: c.cc, cdnCacheControl: c.cdn)
        let lifetime = FreshnessLifetime.compute(directives: directives, status: c.status, expires: c.expires, date: c.date, lastModified: c.lastModified, responseTime: Self.now)
        #expect(lifetime == FreshnessLifetime(seconds: c.seconds, source: c.source))
    }

    @Test func ageCalculation() {
        let t: Int64 = Self.now * 1000
        // Age header counted, plus the request's round trip.
        #expect(AgeCalculation.correctedInitialAge(age: ["30"], date: [Self.date], requestTime: t - 2000, responseTime: t) == 32_000)
        // A Date in the past (the response sat somewhere without Age) counts as apparent age.
        #expect(AgeCalculation.correctedInitialAge(age: [], date: ["Sun, 06 Nov 1994 08:48:37 GMT"], requestTime: t, responseTime: t) == 60_000)
        // A Date in the future never makes the age negative.
        #expect(AgeCalculation.correctedInitialAge(age: [], date: ["Sun, 06 Nov 1994 09:48:37 GMT"], requestTime: t, responseTime: t) == 0)
        // Invalid Age values are ignored.
        // Of a list, the first member counts (a suffix cannot make a response younger).
        #expect(AgeCalculation.correctedInitialAge(age: ["7200, 0"], date: [], requestTime: t, responseTime: t) == 7_200_000)
        #expect(AgeCalculation.correctedInitialAge(age: ["7200", "0"], date: [], requestTime: t, responseTime: t) == 7_200_000)
        #expect(AgeCalculation.correctedInitialAge(age: ["0, 7200"], date: [], requestTime: t, responseTime: t) == 0)
        for bad in [["-5"], ["abc"], ["1.5"], ["x, 5"]] {
            #expect(AgeCalculation.correctedInitialAge(age: bad, date: [Self.date], requestTime: t, responseTime: t) == 0)
        }
        #expect(AgeCalculation.correctedInitialAge(age: ["99999999999999"], date: [], requestTime: t, responseTime: t) == DeltaSeconds.cap * 1000)
        #expect(AgeCalculation.currentAge(correctedInitialAge: 5_000, responseTime: t, now: t + 10_500) == 15_500)
        #expect(AgeCalculation.headerValue(milliseconds: 15_500) == "15")
    }

    @Test func ageGrowsWithAnInjectedClock() {
        let clock = ManualClock(milliseconds: Self.now * 1000)
        let initial = AgeCalculation.correctedInitialAge(age: ["10"], date: [Self.date], requestTime: clock.nowMilliseconds(), responseTime: clock.nowMilliseconds())
        let stored = clock.nowMilliseconds()
        clock.advance(bySeconds: 50)
        let age = AgeCalculation.currentAge(correctedInitialAge: initial, responseTime: stored, now: clock.nowMilliseconds())
        #expect(age == 60_000)
        #expect(ReuseDecision.decide(lifetime: 61, currentAge: age, response: ResponseCacheControl(), request: RequestCacheControl()) == .fresh)
        #expect(ReuseDecision.decide(lifetime: 60, currentAge: age, response: ResponseCacheControl(), request: RequestCacheControl()) == .validate)
    }
}

@Suite struct SharedCacheStorabilityTests {
    struct Case: Sendable, CustomStringConvertible {
        let name: String
        var method = "GET"
        var auth = false
        var requestCC: [String] = []
        var status = 200
        var cc: [String] = []
        var expires = false
        var validator = false
        var vary: [String] = []
        var setCookie = false
        var lastModifiedHeuristic = false
        let store: Bool
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "max-age", cc: ["max-age=60"], store: true),
        Case(name: "no-store", cc: ["max-age=60, no-store"], store: false),
        Case(name: "private", cc: ["max-age=60, private"], store: false),
        Case(name: "qualified private is stored", cc: ["max-age=60, private=\"x-user\""], store: true),
        Case(name: "no-cache with validator is stored", cc: ["no-cache"], validator: true, store: true),
        Case(name: "no-cache without validator is useless", cc: ["no-cache"], store: false),
        Case(name: "request no-store", requestCC: ["no-store"], cc: ["max-age=60"], store: false),
        Case(name: "POST", method: "POST", cc: ["max-age=60"], store: false),
        Case(name: "206", status: 206, cc: ["max-age=60"], store: false),
        Case(name: "304", status: 304, cc: ["max-age=60"], store: false),
        Case(name: "Vary star", cc: ["max-age=60"], vary: ["*"], store: false),
        Case(name: "Vary list", cc: ["max-age=60"], vary: ["Accept-Language"], store: true),
        Case(name: "Authorization without permission", auth: true, cc: ["max-age=60"], store: false),
        Case(name: "Authorization with public", auth: true, cc: ["public, max-age=60"], store: true),
        Case(name: "Authorization with s-maxage", auth: true, cc: ["s-maxage=60"], store: true),
        Case(name: "Authorization with must-revalidate", auth: true, cc: ["must-revalidate, max-age=60"], store: true),
        Case(name: "302 without explicit freshness", status: 302, validator: true, store: false),
        Case(name: "302 with max-age", status: 302, cc: ["max-age=60"], store: true),
        Case(name: "302 with Expires", status: 302, expires: true, store: true),
        Case(name: "500 with max-age", status: 500, cc: ["max-age=60"], store: true),
        Case(name: "404 heuristic with validator", status: 404, validator: true, store: true),
        Case(name: "200 with nothing", store: false),
        Case(name: "200 with validator only", validator: true, store: true),
        Case(name: "must-understand overrides no-store for 200", cc: ["must-understand, no-store, max-age=60"], store: true),
        Case(name: "must-understand with a status not understood", status: 299, cc: ["must-understand, no-store, max-age=60"], store: false),
        Case(name: "Set-Cookie without public", cc: ["max-age=60"], setCookie: true, store: false),
        Case(name: "Set-Cookie with public", cc: ["public, max-age=60"], setCookie: true, store: true),
        Case(name: "stale-while-revalidate alone", cc: ["max-age=0, stale-while-revalidate=60"], store: true),
    ]

    @Test(arguments: cases) func decides(_ c: Case) {
        let directives = ResponseCacheControl(CacheControlDirectives(c.cc))
        let lifetime = FreshnessLifetime.compute(directives: directives, status: c.status, expires: c.expires ? ["Sun, 06 Nov 1994 09:49:37 GMT"] : [], date: [FreshnessLifetimeTests.date], lastModified: [], responseTime: FreshnessLifetimeTests.now)
        let decision = SharedCacheStorability.decide(
            method: c.method, requestHasAuthorization: c.auth, request: RequestCacheControl(cacheControl: c.requestCC), status: c.status,
            directives: directives, lifetime: lifetime, hasExpires: c.expires, hasValidator: c.validator,
            varyNames: VaryKey.fieldNames(c.vary), hasSetCookie: c.setCookie
        )
        #expect((decision == .store) == c.store, "\(decision)")
    }
}

@Suite struct ReuseDecisionTests {
    struct Case: Sendable, CustomStringConvertible {
        let name: String
        let lifetime: Int64
        let age: Int64  // seconds
        var cc: [String] = []
        var requestCC: [String] = []
        let expected: ReuseDecision
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "fresh", lifetime: 60, age: 59, expected: .fresh),
        Case(name: "stale at the lifetime", lifetime: 60, age: 60, expected: .validate),
        Case(name: "no-cache always validates", lifetime: 60, age: 0, cc: ["no-cache"], expected: .validate),
        Case(name: "qualified no-cache does not", lifetime: 60, age: 0, cc: ["no-cache=\"x-a\""], expected: .fresh),
        Case(name: "request no-cache", lifetime: 60, age: 0, requestCC: ["no-cache"], expected: .validate),
        Case(name: "request max-age exceeded", lifetime: 60, age: 30, requestCC: ["max-age=10"], expected: .validate),
        Case(name: "request max-age satisfied", lifetime: 60, age: 5, requestCC: ["max-age=10"], expected: .fresh),
        Case(name: "request min-fresh not met", lifetime: 60, age: 50, requestCC: ["min-fresh=20"], expected: .validate),
        Case(name: "request min-fresh met", lifetime: 60, age: 30, requestCC: ["min-fresh=20"], expected: .fresh),
        Case(name: "max-stale any", lifetime: 60, age: 600, requestCC: ["max-stale"], expected: .staleAllowed),
        Case(name: "max-stale within", lifetime: 60, age: 70, requestCC: ["max-stale=20"], expected: .staleAllowed),
        Case(name: "max-stale beyond", lifetime: 60, age: 90, requestCC: ["max-stale=20"], expected: .validate),
        Case(name: "max-stale but must-revalidate", lifetime: 60, age: 70, cc: ["must-revalidate"], requestCC: ["max-stale"], expected: .validate),
        Case(name: "max-stale but proxy-revalidate", lifetime: 60, age: 70, cc: ["proxy-revalidate"], requestCC: ["max-stale"], expected: .validate),
        Case(name: "max-stale but s-maxage", lifetime: 60, age: 70, cc: ["s-maxage=60"], requestCC: ["max-stale"], expected: .validate),
        Case(name: "stale-while-revalidate window", lifetime: 60, age: 100, cc: ["stale-while-revalidate=60"], expected: .staleWhileRevalidate),
        Case(name: "past stale-while-revalidate", lifetime: 60, age: 121, cc: ["stale-while-revalidate=60"], expected: .validate),
        Case(name: "swr with must-revalidate", lifetime: 60, age: 100, cc: ["must-revalidate, stale-while-revalidate=60"], expected: .validate),
        Case(name: "zero lifetime", lifetime: 0, age: 0, expected: .validate),
    ]

    @Test(arguments: cases) func decides(_ c: Case) {
        let decision = ReuseDecision.decide(
            lifetime: c.lifetime, currentAge: c.age * 1000, response: ResponseCacheControl(CacheControlDirectives(c.cc)),
            request: RequestCacheControl(cacheControl: c.requestCC)
        )
        #expect(decision == c.expected)
    }

    @Test func staleIfError() {
        let sie = ResponseCacheControl(CacheControlDirectives("max-age=60, stale-if-error=30"))
        #expect(ReuseDecision.staleIfErrorAllowed(lifetime: 60, currentAge: 80_000, response: sie, request: RequestCacheControl()))
        #expect(!ReuseDecision.staleIfErrorAllowed(lifetime: 60, currentAge: 91_000, response: sie, request: RequestCacheControl()))
        #expect(ReuseDecision.staleIfErrorAllowed(lifetime: 60, currentAge: 80_000, response: ResponseCacheControl(), request: RequestCacheControl(cacheControl: ["stale-if-error=30"])))
        #expect(!ReuseDecision.staleIfErrorAllowed(lifetime: 60, currentAge: 80_000, response: ResponseCacheControl(CacheControlDirectives("max-age=60, stale-if-error=30, must-revalidate")), request: RequestCacheControl()))
        #expect([500, 502, 503, 504].allSatisfy(ReuseDecision.isErrorStatus) && !ReuseDecision.isErrorStatus(404))
    }
}

@Suite struct VaryKeyTests {
    @Test func fieldNames() {
        #expect(VaryKey.fieldNames([]) == [])
        #expect(VaryKey.fieldNames(["B, a", "A"]) == ["a", "b"])
        #expect(VaryKey.fieldNames(["Accept, *"]) == nil)
        #expect(VaryKey.fieldNames(["*"]) == nil)
        #expect(VaryKey.fieldNames([" , "]) == [])
    }

    static let sameVariant: [([String], [String])] = [
        (["en, fr"], ["en,fr"]),
        (["en", "fr"], ["en, fr"]),
        (["  en  "], ["en"]),
    ]

    @Test(arguments: sameVariant) func normalisedValuesSelectTheSameVariant(_ pair: ([String], [String])) {
        let a = VaryKey.secondaryKey(names: ["accept-language"]) { _ in pair.0 }
        let b = VaryKey.secondaryKey(names: ["accept-language"]) { _ in pair.1 }
        #expect(a == b)
    }

    @Test func distinctVariants() {
        let names = ["accept-language", "x-foo"]
        func key(_ values: [String: [String]]) -> String { VaryKey.secondaryKey(names: names) { values[$0] ?? [] } }
        let keys = [
            key([:]), key(["accept-language": [""]]), key(["accept-language": ["en"]]), key(["accept-language": ["fr"]]),
            key(["x-foo": ["en"]]), key(["accept-language": ["en"], "x-foo": ["1"]]), key(["accept-language": ["EN"]]),
        ]
        #expect(Set(keys).count == keys.count)
        #expect(VaryKey.secondaryKey(names: []) { _ in ["x"] } == "")
        #expect(keys[2].count == 32)
    }
}

@Suite struct StoredHeadersTests {
    func h(_ pairs: [(String, String)]) -> [HeaderField] { pairs.map { HeaderField(name: $0.0, value: $0.1) } }

    @Test func storageDropsHopByHopAndConnectionNamed() {
        let stored = StoredHeaders.forStorage(h([
            ("Connection", "X-Conn, close"), ("X-Conn", "1"), ("Keep-Alive", "timeout=5"), ("Transfer-Encoding", "chunked"),
            ("Content-Length", "3"), ("Age", "9"), ("X-User", "u"), ("ETag", "\"a\""), ("Content-Type", "text/plain"),
            ("Proxy-Authenticate", "Basic"), ("Upgrade", "h2c"), ("TE", "trailers"), ("Trailer", "x"),
        ]), privateFields: ["x-user"])
        #expect(stored == h([("ETag", "\"a\""), ("Content-Type", "text/plain")]))
    }

    @Test func notModifiedMerge() {
        let stored = h([("ETag", "\"a\""), ("Cache-Control", "max-age=1"), ("X-Test", "old"), ("X-Test", "old2"), ("Content-Encoding", "gzip"), ("X-Keep", "k")])
        let update = h([("Cache-Control", "max-age=100"), ("X-Test", "new"), ("Content-Length", "0"), ("Content-Encoding", "br"), ("Connection", "x-hop"), ("X-Hop", "1"), ("X-New", "n")])
        let merged = StoredHeaders.merge(stored: stored, update: update)
        #expect(merged.values("x-test") == ["new"])
        #expect(merged.values("cache-control") == ["max-age=100"])
        #expect(merged.values("content-encoding") == ["gzip"])
        #expect(merged.values("x-keep") == ["k"] && merged.values("x-new") == ["n"])
        #expect(merged.values("x-hop").isEmpty && merged.values("content-length").isEmpty && merged.values("connection").isEmpty)
    }

    static let selection: [(String?, String?, String?, String?, Bool)] = [
        ("\"a\"", nil, "\"a\"", nil, true),
        ("\"a\"", nil, "W/\"a\"", nil, true),
        ("\"a\"", nil, "\"b\"", nil, false),
        (nil, nil, "\"b\"", nil, false),
        (nil, "Sun, 06 Nov 1994 08:49:37 GMT", nil, "Sun, 06 Nov 1994 08:49:37 GMT", true),
        (nil, "Sun, 06 Nov 1994 08:49:37 GMT", nil, "Mon, 07 Nov 1994 08:49:37 GMT", false),
        ("\"a\"", nil, nil, nil, true),
    ]

    @Test(arguments: selection) func selects(_ c: (String?, String?, String?, String?, Bool)) {
        #expect(StoredHeaders.selects(storedETag: c.0, storedLastModified: c.1, etag: c.2, lastModified: c.3) == c.4)
    }
}

@Suite struct ConditionalAndInvalidationTests {
    static let lm = "Sun, 06 Nov 1994 08:49:37 GMT"

    @Test func clientConditionals() {
        #expect(ConditionalRequest.notModified(ifNoneMatch: "\"a\", \"b\"", ifModifiedSince: nil, etag: "\"b\"", lastModified: nil))
        #expect(ConditionalRequest.notModified(ifNoneMatch: "W/\"b\"", ifModifiedSince: nil, etag: "\"b\"", lastModified: nil))
        #expect(!ConditionalRequest.notModified(ifNoneMatch: "\"c\"", ifModifiedSince: Self.lm, etag: "\"b\"", lastModified: Self.lm))
        #expect(ConditionalRequest.notModified(ifNoneMatch: "*", ifModifiedSince: nil, etag: nil, lastModified: nil))
        #expect(ConditionalRequest.notModified(ifNoneMatch: nil, ifModifiedSince: Self.lm, etag: nil, lastModified: Self.lm))
        #expect(ConditionalRequest.notModified(ifNoneMatch: nil, ifModifiedSince: "Mon, 07 Nov 1994 08:49:37 GMT", etag: nil, lastModified: Self.lm))
        #expect(!ConditionalRequest.notModified(ifNoneMatch: nil, ifModifiedSince: "Sat, 05 Nov 1994 08:49:37 GMT", etag: nil, lastModified: Self.lm))
        #expect(!ConditionalRequest.notModified(ifNoneMatch: nil, ifModifiedSince: "garbage", etag: nil, lastModified: Self.lm))
        #expect(!ConditionalRequest.notModified(ifNoneMatch: nil, ifModifiedSince: Self.lm, etag: nil, lastModified: nil))
        #expect(ConditionalRequest.notModified(ifNoneMatch: nil, ifModifiedSince: Self.lm, etag: nil, lastModified: nil, date: Self.lm))
    }

    static let methods: [(String, Int, Bool)] = [
        ("POST", 200, true), ("PUT", 201, true), ("DELETE", 204, true), ("PATCH", 302, true), ("FOO", 200, true),
        ("POST", 404, false), ("POST", 500, false), ("GET", 200, false), ("HEAD", 200, false), ("OPTIONS", 200, false), ("TRACE", 200, false),
    ]

    @Test(arguments: methods) func invalidatingAnswers(_ c: (String, Int, Bool)) {
        #expect(UnsafeMethodInvalidation.invalidates(method: c.0, status: c.1) == c.2)
    }

    static let targets: [(String?, String?, [String])] = [
        (nil, nil, ["/a/b?x=1"]),
        ("/c", "/d?y", ["/a/b?x=1", "/c", "/d?y"]),
        ("http://example.com/e", "https://EXAMPLE.com/f#frag", ["/a/b?x=1", "/e", "/f"]),
        ("http://other.com/e", "//other.com/f", ["/a/b?x=1"]),
        ("sibling", "../up", ["/a/b?x=1", "/a/sibling", "/a/../up"]),
        ("/a/b?x=1", "mailto:x@y", ["/a/b?x=1"]),
        ("http://example.com", nil, ["/a/b?x=1", "/"]),
    ]

    @Test(arguments: targets) func invalidationTargets(_ c: (String?, String?, [String])) {
        #expect(UnsafeMethodInvalidation.targets(requestTarget: "/a/b?x=1", host: "example.com", location: c.0, contentLocation: c.1) == c.2)
    }
}
