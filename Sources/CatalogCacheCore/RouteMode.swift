/// Who decides how a route's responses are cached.
public enum RouteMode: String, Sendable, Equatable, CaseIterable {
    /// The route's own configuration (ttl, stale windows, key template) decides; the proxy
    /// sends its own `Cache-Control`, `ETag` and `Vary`. The default.
    case configured
    /// The upstream's headers decide, under RFC 9111's rules for a shared cache
    /// (see `Sources/CatalogCacheCore/SharedCache`); the route's `ttl` only caps how long an
    /// entry is kept in the store.
    case origin
}
