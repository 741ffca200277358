import CatalogCacheCore

/// A route with the header values it sends precomputed once, at start-up.
///
/// Immutable, and a class so that handing it to every routed request costs one reference
/// count rather than one per field.
final class CompiledRoute: Sendable {
    let index: Int
    let rule: RouteRule
    /// `Cache-Control` sent with every response on this route.
    let cacheControl: String
    /// `Vary`: Accept-Encoding plus the route's vary headers.
    let vary: String
    /// This cache's name as a `Cache-Status` list member (`CacheStatus.member(name:)`).
    let cacheStatusMember: String
    /// `Cache-Status` of a fresh hit.
    let hitCacheStatus: String

    init(index: Int, rule: RouteRule, cacheStatusName: String = "catalog-cache") {
        self.index = index
        self.rule = rule
        self.cacheControl = rule.cacheControlHeader
        self.vary = (["Accept-Encoding"] + rule.varyHeaders.map(Self.canonicalHeaderName)).joined(separator: ", ")
        self.cacheStatusMember = CacheStatus.member(name: cacheStatusName) ?? "catalog-cache"
        self.hitCacheStatus = CacheStatus.hit.fieldValue(member: cacheStatusMember)
    }

    /// The `Cache-Status` value of `status` from this cache.
    func cacheStatus(_ status: CacheStatus) -> String {
        status == .hit ? hitCacheStatus : status.fieldValue(member: cacheStatusMember)
    }

    /// Whether `meta` was stored under this route's freshness rules (TTL, stale-while-
    /// revalidate, stale-if-error). An entry stored before a reload changed them is treated
    /// as absent, so it is refetched rather than served under the old rules.
    func storedUnderCurrentRules(_ meta: EntryMetadata) -> Bool {
        meta.ttl == rule.ttl && meta.staleWhileRevalidate == rule.staleWhileRevalidate && meta.staleIfError == rule.staleIfError
    }

    /// `x-publishable-api-key` → `X-Publishable-Api-Key`.
    static func canonicalHeaderName(_ name: String) -> String {
        name.split(separator: "-", omittingEmptySubsequences: false).map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: "-")
    }
}
