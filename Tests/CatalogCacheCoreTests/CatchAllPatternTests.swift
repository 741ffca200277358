import Testing
import CatalogCacheCore

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
