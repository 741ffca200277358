import CatalogCacheCore
import Testing

@Suite struct QueryParameterFilterTests {
    @Test func patternsMatchNamesAndPrefixes() {
        let ignore = QueryParameterFilter.ignore(["utm_*", "fbclid"])
        #expect(!ignore.keeps("utm_source") && !ignore.keeps("fbclid") && ignore.keeps("limit") && ignore.keeps("fbclid2"))
        let allow = QueryParameterFilter.allow(["limit", "offset", "filter_*"])
        #expect(allow.keeps("limit") && allow.keeps("filter_x") && !allow.keeps("junk") && !allow.keeps("Limit"))
        #expect(QueryParameterFilter.isValidPattern("utm_*") && !QueryParameterFilter.isValidPattern("*") && !QueryParameterFilter.isValidPattern("a*b") && !QueryParameterFilter.isValidPattern(""))
    }

    @Test func filteredParametersLeaveTheCanonicalQuery() {
        let ignore = QueryParameterFilter.ignore(["utm_*"])
        #expect(QueryNormalizer.canonical(query: "limit=2&utm_source=x&utm%5Fmedium=y", filter: ignore) == "limit=2")
        #expect(QueryNormalizer.canonical(query: "b=1&a=2", filter: .all) == QueryNormalizer.canonical(query: "b=1&a=2"))
        #expect(QueryNormalizer.canonical(query: "junk=1&limit=2&r4nd0m", filter: .allow(["limit"])) == "limit=2")
    }

    @Test func junkParametersDoNotChangeTheKey() throws {
        let rule = try RouteRule(name: "products", path: "/store/products", key: "products:{hash}", ttl: 60, queryFilter: .ignore(["utm_*", "_"]))
        let match = try #require(RouteTable([rule]).match(path: "/store/products"))
        let keys = CacheKeyBuilder(prefix: "c:")
        let plain = keys.key(for: match, path: "/store/products", query: "limit=2") { _ in nil }
        #expect(keys.key(for: match, path: "/store/products", query: "utm_source=a&limit=2&_=123") { _ in nil } == plain)
        #expect(keys.key(for: match, path: "/store/products", query: "limit=3") { _ in nil } != plain)
    }
}
