/// Decides whether a request may be served through the cache.
///
/// Order of checks (the first that applies decides):
/// 1. The path is normalized (`PathNormalizer`); failure → `.bypass(.unsafePath)`, for every
///    method, so an ambiguous path never reaches the upstream through the proxy.
/// 2. A normalized path equal to or under a never-cacheable prefix (`/admin`, `/store/carts`,
///    `/store/customers`, `/store/orders` by default) → `.method` for methods other than `GET`
///    and `HEAD` (case-sensitive, RFC 9110 §9.1), else `.notCacheableRoute`, even when a
///    configured route would match. Prefixes match whole segments: `/store/cartsale` is not
///    under `/store/carts`.
/// 3. A route with `mode: origin` matches → `.originControlled`, for every method.
/// 4. Methods other than `GET` and `HEAD` → `.method`.
/// 5. No route matches → `.notCacheableRoute`.
/// 6. Unless the rule `isPublic`: an `Authorization` header (even empty) → `.authorization`,
///    then a `Cookie` header → `.cookie`.
///
/// Request `Cache-Control` is ignored (see `BypassReason.noStoreRequest`).
public struct RequestClassifier: Sendable {
    public static let defaultNeverCacheablePrefixes = ["/admin", "/store/carts", "/store/customers", "/store/orders"]

    public let routes: RouteTable
    public let neverCacheablePrefixes: [String]

    public init(routes: RouteTable, neverCacheablePrefixes: [String] = RequestClassifier.defaultNeverCacheablePrefixes) {
        self.routes = routes
        self.neverCacheablePrefixes = neverCacheablePrefixes.map { prefix in
            var trimmed = Substring(prefix)
            while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
            return String(trimmed)
        }
    }

    /// Classifies one request. `headerValue` returns the value of a lowercased header name,
    /// nil when absent.
    public func classify(method: String, rawPath: String, headerValue: (String) -> String?) -> RequestClass {
        guard let path = PathNormalizer.normalize(rawPath) else { return .bypass(.unsafePath) }
        let isRead = method == "GET" || method == "HEAD"
        if isNeverCacheable(path) { return isRead ? .bypass(.notCacheableRoute) : .bypass(.method) }
        let match = routes.match(path: path)
        if let match, match.rule.mode == .origin { return .originControlled(match, normalizedPath: path) }
        guard isRead else { return .bypass(.method) }
        guard let match else { return .bypass(.notCacheableRoute) }
        if !match.rule.isPublic {
            if headerValue("authorization") != nil { return .bypass(.authorization) }
            if headerValue("cookie") != nil { return .bypass(.cookie) }
        }
        return .cacheable(match, normalizedPath: path)
    }

    /// Whether a normalized path is one of the never-cacheable prefixes or below one.
    public func isNeverCacheable(_ normalizedPath: String) -> Bool {
        neverCacheablePrefixes.contains { prefix in
            if prefix == "/" { return true }
            guard normalizedPath.hasPrefix(prefix) else { return false }
            let rest = normalizedPath.utf8.dropFirst(prefix.utf8.count)
            return rest.isEmpty || rest.first == UInt8(ascii: "/")
        }
    }
}
