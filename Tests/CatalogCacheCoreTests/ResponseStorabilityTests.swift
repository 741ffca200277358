import Testing
import CatalogCacheCore

@Suite struct ResponseStorabilityTests {
    private let rule: RouteRule
    private let rule404: RouteRule

    init() throws {
        rule = try RouteRule(name: "p", path: "/p", key: "p", ttl: 60)
        rule404 = try RouteRule(name: "p", path: "/p", key: "p", ttl: 60, cacheableStatuses: [200, 404])
    }

    @Test(arguments: [
        (200, [:], true),
        (200, ["cache-control": "public, max-age=60"], true),
        (200, ["cache-control": "no-cache"], true),
        (200, ["cache-control": "private"], false),
        (200, ["cache-control": "PRIVATE"], false),
        (200, ["cache-control": "max-age=60, private=\"set-cookie\""], false),
        (200, ["cache-control": "no-store"], false),
        (200, ["cache-control": "public,No-Store"], false),
        (200, ["cache-control": "x-private, no-storex"], true),
        (200, ["cache-control": "foo=\"private, no-store\""], true),
        (200, ["set-cookie": "a=b"], false),
        (200, ["set-cookie": ""], false),
        (200, ["vary": "*"], false),
        (200, ["vary": "accept-encoding, *"], false),
        (200, ["vary": "accept-encoding"], true),
        (404, [:], false),
        (500, [:], false),
        (304, [:], false),
    ] as [(Int, [String: String], Bool)])
    func defaultRule(status: Int, values: [String: String], expected: Bool) {
        #expect(ResponseStorability.isStorable(status: status, headerValue: headers(values), rule: rule) == expected)
    }

    @Test func customStatuses() {
        #expect(ResponseStorability.isStorable(status: 404, headerValue: headers([:]), rule: rule404))
        #expect(!ResponseStorability.isStorable(status: 410, headerValue: headers([:]), rule: rule404))
    }
}
