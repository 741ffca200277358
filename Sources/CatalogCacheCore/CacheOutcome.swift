/// How the proxy answered one request, as reported in logs, metrics and the `X-Cache` header.
///
/// The raw values are stable lowercase names meant for metric labels and log fields;
/// `xCacheValue` is what clients see.
public enum CacheOutcome: String, Sendable, CaseIterable {
    /// A fresh stored entry was served.
    case hit
    /// A stored entry past its TTL but within stale-while-revalidate (or stale-if-error) was served.
    case stale
    /// Nothing usable was stored: this request led the upstream fetch.
    case miss
    /// Nothing usable was stored, and this request waited for another request's upstream fetch.
    case coalesced
    /// The request was not eligible for caching and went straight to the upstream.
    case bypass
    /// The proxy was at its bound of requests in progress (`LoadShedder`): answered `503` with
    /// `Retry-After` at once, without a Redis lookup or an upstream request.
    case shed

    /// The value of the `X-Cache` response header.
    ///
    /// A coalesced request reports `MISS`: from the client's point of view the response was
    /// fetched from the upstream just now, not served from storage. A shed request reports
    /// `BYPASS` (the contract's values are HIT, MISS, STALE and BYPASS): storage was bypassed;
    /// its `Cache-Status` says why (`detail=overloaded`).
    public var xCacheValue: String {
        switch self {
        case .hit: "HIT"
        case .stale: "STALE"
        case .miss, .coalesced: "MISS"
        case .bypass, .shed: "BYPASS"
        }
    }
}
