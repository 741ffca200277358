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

    init(index: Int, rule: RouteRule) {
        self.index = index
        self.rule = rule
        self.cacheControl = rule.cacheControlHeader
        self.vary = (["Accept-Encoding"] + rule.varyHeaders.map(Self.canonicalHeaderName)).joined(separator: ", ")
    }

    /// `x-publishable-api-key` → `X-Publishable-Api-Key`.
    static func canonicalHeaderName(_ name: String) -> String {
        name.split(separator: "-", omittingEmptySubsequences: false).map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: "-")
    }
}
