/// One member of the `Cache-Status` response field (RFC 9211): how this cache handled a
/// response, beside the `X-Cache` shorthand.
///
/// The mapping from the proxy's outcomes (tested one by one):
///
///     fresh hit                        <name>; hit
///     stale-while-revalidate           <name>; hit; ttl=-N          (N seconds past its TTL)
///     stale-if-error                   <name>; fwd=stale; ttl=-N; detail=stale-if-error
///     miss, stored                     <name>; fwd=miss; fwd-status=200; stored
///     expired entry refetched, stored  <name>; fwd=stale; fwd-status=200; stored
///     not storable                     <name>; fwd=miss; fwd-status=S
///     coalesced with another fill      <name>; fwd=miss; collapsed
///     bypass (not cacheable)           <name>; fwd=bypass; fwd-status=S
///     upstream failed, nothing stored  <name>; fwd=miss; detail=upstream-unavailable
///     shed (proxy overloaded)          <name>; detail=overloaded    (not forwarded)
///
/// Invariant: `fieldValue` is always a valid RFC 8941 list member (the name is a token or a
/// quoted string, parameters are tokens or integers).
public struct CacheStatus: Sendable, Equatable {
    /// Why the request went to the upstream (RFC 9211 §2.2); nil when it did not.
    public enum Forward: String, Sendable {
        case bypass, miss, stale
    }

    public var hit = false
    public var forward: Forward?
    public var forwardStatus: Int?
    public var stored = false
    public var collapsed = false
    /// Remaining freshness in seconds (negative: stale); nil when not sent.
    public var ttl: Int64?
    /// An implementation-specific token (`stale-if-error`, `upstream-unavailable`).
    public var detail: String?

    public init(hit: Bool = false, forward: Forward? = nil, forwardStatus: Int? = nil, stored: Bool = false, collapsed: Bool = false, ttl: Int64? = nil, detail: String? = nil) {
        self.hit = hit
        self.forward = forward
        self.forwardStatus = forwardStatus
        self.stored = stored
        self.collapsed = collapsed
        self.ttl = ttl
        self.detail = detail
    }

    public static let hit = CacheStatus(hit: true)

    /// What `outcome` alone says, for responses whose details are not tracked (the
    /// origin-controlled routes): hit, stale (`hit; detail=stale`), miss, collapsed, bypass,
    /// shed (`detail=overloaded`, no `fwd`: nothing went upstream).
    public init(outcome: CacheOutcome, forwardStatus: Int? = nil) {
        switch outcome {
        case .hit: self.init(hit: true)
        case .stale: self.init(hit: true, detail: "stale")
        case .miss: self.init(forward: .miss, forwardStatus: forwardStatus)
        case .coalesced: self.init(forward: .miss, collapsed: true)
        case .bypass: self.init(forward: .bypass, forwardStatus: forwardStatus)
        case .shed: self.init(detail: "overloaded")
        }
    }

    /// `existing` (the upstream's own `Cache-Status`, nearest the origin first) with `member`
    /// appended, as RFC 9211 §2 asks of each cache on the path.
    public static func appending(_ member: String, to existing: String?) -> String {
        guard let existing, !existing.allSatisfy({ $0 == " " || $0 == "\t" }) else { return member }
        return existing + ", " + member
    }

    /// The member for a cache named `name` (`CacheStatus.member(name:)` already applied).
    public func fieldValue(member name: String) -> String {
        var value = name
        if hit { value += "; hit" }
        if let forward { value += "; fwd=" + forward.rawValue }
        if let forwardStatus { value += "; fwd-status=\(forwardStatus)" }
        if stored { value += "; stored" }
        if collapsed { value += "; collapsed" }
        if let ttl { value += "; ttl=\(ttl)" }
        if let detail { value += "; detail=" + detail }
        return value
    }

    /// The cache's name as a list member: as is when it is an sf-token, else an sf-string;
    /// nil when it cannot be either (a control character or non-ASCII).
    public static func member(name: String) -> String? {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7f }) else { return nil }
        if isToken(bytes) { return name }
        var quoted = "\""
        for scalar in name.unicodeScalars {
            if scalar == "\"" || scalar == "\\" { quoted += "\\" }
            quoted.unicodeScalars.append(scalar)
        }
        return quoted + "\""
    }

    /// RFC 8941 sf-token: `( ALPHA / "*" ) *( tchar / ":" / "/" )`.
    static func isToken(_ bytes: [UInt8]) -> Bool {
        guard let first = bytes.first, (first | 0x20 >= 0x61 && first | 0x20 <= 0x7a) || first == 0x2a else { return false }
        return bytes.allSatisfy { byte in
            (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7a) || (byte >= 0x30 && byte <= 0x39) || "!#$%&'*+-.^_`|~:/".utf8.contains(byte)
        }
    }
}
