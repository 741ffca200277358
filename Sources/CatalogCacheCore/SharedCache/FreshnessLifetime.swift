/// A stored response's freshness lifetime (RFC 9111 §4.2.1, §4.2.2).
///
/// Precedence for a shared cache: `s-maxage`, then `max-age`, then `Expires` minus `Date`
/// (the response time when `Date` is missing or invalid), then a heuristic. The directives
/// are the effective ones (`CDN-Cache-Control` over `Cache-Control`, see
/// `ResponseCacheControl.effective`). Invariants: the lifetime is never negative; an invalid
/// `Expires` (e.g. `0`) or invalid delta-seconds is an explicit lifetime of 0; the heuristic
/// is used only without explicit freshness, only for a heuristically cacheable status (or a
/// `public` response) with a valid `Last-Modified` in the past, and is
/// `heuristicFraction` of the time since that modification, at most `heuristicCap` seconds.
public struct FreshnessLifetime: Sendable, Equatable {
    public enum Source: Sendable, Equatable {
        case sMaxage, maxAge, expires, heuristic, none
    }

    public var seconds: Int64
    public var source: Source

    public init(seconds: Int64, source: Source) {
        self.seconds = seconds
        self.source = source
    }

    /// Statuses RFC 9110 §15.1 defines as heuristically cacheable (206 left out: partial content is never stored).
    public static let heuristicallyCacheableStatuses: Set<Int> = [200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501]

    /// Whether the lifetime comes from the response itself rather than a heuristic.
    public var isExplicit: Bool { source != .heuristic && source != .none }

    /// - Parameters:
    ///   - responseTime: when the response was received, seconds since the epoch (stands in for
    ///     a missing `Date`).
    public static func compute(
        directives: ResponseCacheControl, status: Int, expires: [String], date: [String], lastModified: [String],
        responseTime: Int64, heuristicFraction: Double = 0.1, heuristicCap: Int64 = 86_400
    ) -> FreshnessLifetime {
        if let s = directives.sMaxage.effective { return FreshnessLifetime(seconds: s, source: .sMaxage) }
        if let s = directives.maxAge.effective { return FreshnessLifetime(seconds: s, source: .maxAge) }
        let dateValue = date.count == 1 ? HTTPDate.parse(date[0]) : nil
        let base = dateValue ?? responseTime
        if !expires.isEmpty {
            // More than one Expires: RFC 9111 §4.2.1 allows treating the response as stale.
            guard expires.count == 1, let expiry = HTTPDate.parse(expires[0]) else { return FreshnessLifetime(seconds: 0, source: .expires) }
            return FreshnessLifetime(seconds: max(0, expiry - base), source: .expires)
        }
        guard heuristicallyCacheableStatuses.contains(status) || directives.isPublic,
              lastModified.count == 1, let modified = HTTPDate.parse(lastModified[0]), modified <= base else {
            return FreshnessLifetime(seconds: 0, source: .none)
        }
        let heuristic = Int64(Double(base - modified) * heuristicFraction)
        return FreshnessLifetime(seconds: min(max(heuristic, 0), heuristicCap), source: .heuristic)
    }
}

/// The age of a stored response (RFC 9111 §4.2.3), in milliseconds.
///
/// At storage time `correctedInitialAge` folds in the upstream's `Age`, the clock skew seen
/// through `Date`, and the time the request took; afterwards the current age is that plus
/// the time resident in the cache. Invariants: never negative; of a list (`Age: 7200, 0`, or
/// two field lines) the first member counts, so a suffix cannot make a response younger; a
/// first member that is not a non-negative integer is ignored (§5.1); values beyond 2^31
/// seconds are capped.
public enum AgeCalculation {
    /// `corrected_initial_age` of §4.2.3.
    public static func correctedInitialAge(age: [String], date: [String], requestTime: Int64, responseTime: Int64) -> Int64 {
        let first = age.first?.split(separator: ",", omittingEmptySubsequences: false).first.map { $0.trimmingWhitespace() }
        let ageValue: Int64 = first.flatMap { DeltaSeconds.parse($0) } ?? 0
        let dateValue = date.count == 1 ? HTTPDate.parse(date[0]) : nil
        let apparentAge = dateValue.map { max(0, responseTime - $0 * 1000) } ?? 0
        let responseDelay = max(0, responseTime - requestTime)
        let correctedAgeValue = ageValue * 1000 + responseDelay
        return max(apparentAge, correctedAgeValue)
    }

    /// `current_age` of §4.2.3 at `now`.
    public static func currentAge(correctedInitialAge: Int64, responseTime: Int64, now: Int64) -> Int64 {
        max(0, correctedInitialAge + max(0, now - responseTime))
    }

    /// The `Age` header value: whole seconds, rounded down.
    public static func headerValue(milliseconds: Int64) -> String {
        String(min(max(0, milliseconds) / 1000, DeltaSeconds.cap))
    }
}
