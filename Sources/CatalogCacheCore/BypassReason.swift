/// Why a request goes to the upstream without the cache. Raw values are stable metric labels.
public enum BypassReason: String, Sendable, CaseIterable {
    /// Not GET or HEAD.
    case method
    /// No configured route matches, or the path is under a never-cacheable prefix.
    case notCacheableRoute
    /// The request carries `Authorization` and the route is not public.
    case authorization
    /// The request carries `Cookie` and the route is not public.
    case cookie
    /// Reserved: `RequestClassifier` never returns it. Request `Cache-Control: no-store` is
    /// ignored for configured routes, because the proxy acts as the origin's own cache (like
    /// Medusa's built-in cache), not as a shared cache on the client's behalf; honoring it
    /// would let any client force origin load at will.
    case noStoreRequest
    /// The path failed normalization (encoded slash, control character, bad escape...);
    /// the proxy answers 400.
    case unsafePath
}
