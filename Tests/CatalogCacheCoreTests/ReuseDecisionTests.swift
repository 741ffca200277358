import Testing
import CatalogCacheCore

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
