/// Whether a shared cache may store a response (RFC 9111 §3, §3.5), and whether storing it
/// is worth anything.
///
/// Invariants of `decide`: nothing is stored for a method other than GET, for 206, 304 or a
/// 1xx, for `no-store` in the request or the (effective) response directives (unless
/// `must-understand` with an understood status), for unqualified `private`, for `Vary: *`, or
/// for a request with `Authorization` unless the response has `public`, `s-maxage` or
/// `must-revalidate`. A status not heuristically cacheable is stored only with explicit
/// freshness (`max-age`, `s-maxage`, `Expires`) or `public`. A storable response is kept
/// only when it can be reused: a positive lifetime, a stale window, or a validator
/// (`ETag`, `Last-Modified`) to revalidate it with.
public enum SharedCacheStorability {
    public enum Decision: Sendable, Equatable {
        case store
        case doNotStore(String)
    }

    /// Final statuses this cache understands (for `must-understand`).
    public static let understoodStatuses: Set<Int> = [200, 203, 204, 300, 301, 302, 303, 307, 308, 404, 405, 410, 414, 501]

    public static func decide(
        method: String, requestHasAuthorization: Bool, request: RequestCacheControl, status: Int,
        directives: ResponseCacheControl, lifetime: FreshnessLifetime, hasExpires: Bool, hasValidator: Bool,
        varyNames: [String]?, hasSetCookie: Bool
    ) -> Decision {
        guard method == "GET" else { return .doNotStore("method") }
        guard status >= 200, status <= 999, status != 206, status != 304 else { return .doNotStore("status") }
        if request.noStore { return .doNotStore("request no-store") }
        if directives.mustUnderstand {
            guard understoodStatuses.contains(status) else { return .doNotStore("must-understand") }
        } else if directives.noStore {
            return .doNotStore("no-store")
        }
        if directives.isPrivate { return .doNotStore("private") }
        if varyNames == nil { return .doNotStore("vary *") }
        if requestHasAuthorization && !(directives.isPublic || directives.sMaxage.isPresent || directives.mustRevalidate) {
            return .doNotStore("authorization")
        }
        if hasSetCookie && !(directives.isPublic || directives.sMaxage.isPresent) {
            return .doNotStore("set-cookie")
        }
        let explicit = directives.maxAge.isPresent || directives.sMaxage.isPresent || hasExpires
        guard explicit || directives.isPublic || FreshnessLifetime.heuristicallyCacheableStatuses.contains(status) else {
            return .doNotStore("status without explicit freshness")
        }
        let reusable = lifetime.seconds > 0 || hasValidator || (directives.staleWhileRevalidate ?? 0) > 0 || (directives.staleIfError ?? 0) > 0
        return reusable ? .store : .doNotStore("neither freshness nor validator")
    }
}
