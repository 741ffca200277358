/// Whether a stored response may answer a request without contacting the origin
/// (RFC 9111 §4, §4.2.4, §5.2.1, RFC 5861).
///
/// All times are milliseconds. Invariants: an unqualified response `no-cache` or a request
/// `no-cache` always validates; a fresh response is reused unless the request's `max-age`
/// or `min-fresh` asks for more; a stale response is never served without validation when
/// the response forbids it (`must-revalidate`, `proxy-revalidate`, `s-maxage`); otherwise a
/// request `max-stale` covering the staleness serves it as is, and a response
/// `stale-while-revalidate` window serves it while it is refreshed in the background.
public enum ReuseDecision: Sendable, Equatable {
    case fresh
    /// Stale, allowed by the request's `max-stale`: serve, no refresh needed.
    case staleAllowed
    /// Stale inside `stale-while-revalidate`: serve and refresh in the background.
    case staleWhileRevalidate
    /// Contact the origin (conditionally when the entry has validators).
    case validate

    public static func decide(lifetime: Int64, currentAge: Int64, response: ResponseCacheControl, request: RequestCacheControl) -> ReuseDecision {
        if response.noCache || request.noCache { return .validate }
        let lifetimeMs = lifetime * 1000
        if currentAge < lifetimeMs {
            if let maxAge = request.maxAge, currentAge > maxAge * 1000 { return .validate }
            if let minFresh = request.minFresh, lifetimeMs - currentAge < minFresh * 1000 { return .validate }
            return .fresh
        }
        let staleness = currentAge - lifetimeMs
        if response.forbidsStale { return .validate }
        if let maxAge = request.maxAge, currentAge > maxAge * 1000 { return .validate }
        if request.minFresh != nil { return .validate }
        switch request.maxStale {
        case .any?: return .staleAllowed
        case .seconds(let s)? where staleness <= s * 1000: return .staleAllowed
        default: break
        }
        if let swr = response.staleWhileRevalidate, staleness <= swr * 1000 { return .staleWhileRevalidate }
        return .validate
    }

    /// Whether a stale response may answer when the origin failed (a 500, 502, 503, 504 or
    /// no answer): inside the response's or the request's `stale-if-error` window (RFC 5861
    /// §4), never when the response forbids serving stale.
    public static func staleIfErrorAllowed(lifetime: Int64, currentAge: Int64, response: ResponseCacheControl, request: RequestCacheControl) -> Bool {
        if response.forbidsStale || response.noCache { return false }
        let staleness = currentAge - lifetime * 1000
        guard let window = request.staleIfError ?? response.staleIfError else { return false }
        return staleness <= window * 1000
    }

    /// Origin statuses that count as an error for `stale-if-error`.
    public static func isErrorStatus(_ status: Int) -> Bool {
        status == 500 || status == 502 || status == 503 || status == 504
    }
}
