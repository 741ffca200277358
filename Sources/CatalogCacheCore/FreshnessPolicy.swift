/// Freshness arithmetic for stored entries. Time is always passed in (`now`, milliseconds
/// since the Unix epoch); nothing here reads a clock.
///
/// With `age = max(0, now - storedAt)` in milliseconds, windows are half-open
/// (the lower bound is inclusive, the upper bound exclusive):
/// - `fresh`             when `age < ttl`
/// - `stale`             when `ttl <= age < ttl + staleWhileRevalidate`
/// - `staleIfErrorOnly`  when not the above and `age < ttl + staleIfError`
/// - `expired`           otherwise.
///
/// So an entry with ttl 60 is fresh up to 59.999 s and stale (or expired) at exactly 60 s.
/// A clock that went backwards (`now < storedAt`) gives age 0: fresh, never negative.
/// All arithmetic saturates, so values decoded from a corrupt entry cannot overflow.
public enum FreshnessPolicy {
    public static func evaluate(_ meta: EntryMetadata, now: Int64) -> Freshness {
        let age = ageMilliseconds(meta, now: now)
        let ttl = milliseconds(seconds: meta.ttl)
        if age < ttl { return .fresh }
        if age < saturatingAdd(ttl, milliseconds(seconds: meta.staleWhileRevalidate)) { return .stale }
        if age < saturatingAdd(ttl, milliseconds(seconds: meta.staleIfError)) { return .staleIfErrorOnly }
        return .expired
    }

    /// The entry's age in whole seconds (rounded down), never negative; for the `Age` header.
    public static func age(_ meta: EntryMetadata, now: Int64) -> Int {
        Int(ageMilliseconds(meta, now: now) / 1000)
    }

    /// How long the stored value must live: `(ttl + max(swr, staleIfError)) * 1000`
    /// milliseconds, the Redis expiry. After it, no window can use the entry.
    public static func storageTTLMilliseconds(_ meta: EntryMetadata) -> Int64 {
        saturatingAdd(
            milliseconds(seconds: meta.ttl),
            milliseconds(seconds: max(meta.staleWhileRevalidate, meta.staleIfError))
        )
    }

    /// `max(0, now - storedAt)` in milliseconds, saturating.
    public static func ageMilliseconds(_ meta: EntryMetadata, now: Int64) -> Int64 {
        let (difference, overflow) = now.subtractingReportingOverflow(meta.storedAt)
        if overflow { return now > meta.storedAt ? .max : 0 }
        return max(0, difference)
    }

    private static func milliseconds(seconds: Int) -> Int64 {
        let (product, overflow) = Int64(clamping: max(0, seconds)).multipliedReportingOverflow(by: 1000)
        return overflow ? .max : product
    }

    private static func saturatingAdd(_ a: Int64, _ b: Int64) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
    }
}
