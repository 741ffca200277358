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
    /// What its entries hold beyond the route's tags (`entry_tags`), nil for none.
    let tagging: EntryTagging?
    /// The text before `{id}` of each tag the body's ids become (`product:`): an invalidated
    /// tag starting with one may belong to a fill of this route whose body is not read yet.
    let bodyTagPrefixes: [String]

    /// This cache's name as a `Cache-Status` list member (`CacheStatus.member(name:)`).
    let cacheStatusMember: String
    /// `Cache-Status` of a fresh hit.
    let hitCacheStatus: String

    init(index: Int, rule: RouteRule, tagging: EntryTagging? = nil, cacheStatusName: String = "catalog-cache") {
        self.index = index
        self.rule = rule
        self.tagging = tagging
        self.bodyTagPrefixes = tagging?.bodyIDs.map { spec in String(spec.tag[..<spec.tag.firstRange(of: "{id}")!.lowerBound]) } ?? []
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

    /// An entry's tags: `known` (the route's and its query's, a ranged sort's placed by the
    /// body) plus the ids its identity `body` holds, or nil when the body does not hold what
    /// `tagging` reads (such an entry could not be dropped when its rows change, so it must
    /// not be stored).
    func entryTags(_ known: [String], body: [UInt8]) -> [String]? {
        guard let tagging else { return known }
        return tagging.entryTags(known: known, body: body)
    }

    /// `x-publishable-api-key` → `X-Publishable-Api-Key`.
    static func canonicalHeaderName(_ name: String) -> String {
        name.split(separator: "-", omittingEmptySubsequences: false).map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: "-")
    }
}
