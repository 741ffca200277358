import Testing
import CatalogCacheCore
import CatalogTestSupport

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
