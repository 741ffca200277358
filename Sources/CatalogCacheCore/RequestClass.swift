/// The verdict of `RequestClassifier` for one request.
public enum RequestClass: Sendable, Equatable {
    /// Serve through the cache with this route; `normalizedPath` is the key's path.
    case cacheable(RouteMatch, normalizedPath: String)
    /// An origin-controlled route (`mode: origin`): a shared cache by RFC 9111 for every
    /// method (GET and HEAD served from it, unsafe methods invalidate it).
    case originControlled(RouteMatch, normalizedPath: String)
    /// Go straight to the upstream (or answer 400 for `.unsafePath`).
    case bypass(BypassReason)
}
