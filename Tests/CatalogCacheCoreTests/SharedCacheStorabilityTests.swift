import Testing
import CatalogCacheCore

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
