/// The response directives a shared cache acts on (RFC 9111 §5.2.2), read from the
/// effective cache-control field (see `ResponseCacheControl.effective`).
///
/// Invariants: an unqualified `no-cache` / `private` sets the flag with empty field lists; a
/// qualified form (`no-cache="X-Foo"`) sets only the field list; delta-seconds directives keep
/// `.invalid` distinct from `.absent` so an invalid `max-age` still counts as explicit
/// (zero) freshness.
public struct ResponseCacheControl: Sendable, Equatable {
    public var noStore = false
    public var noCache = false
    public var noCacheFields: [String] = []
    public var isPrivate = false
    public var privateFields: [String] = []
    public var isPublic = false
    public var mustRevalidate = false
    public var proxyRevalidate = false
    public var mustUnderstand = false
    public var maxAge: DeltaSeconds = .absent
    public var sMaxage: DeltaSeconds = .absent
    public var staleWhileRevalidate: Int64?
    public var staleIfError: Int64?

    public init() {}

    public init(_ directives: CacheControlDirectives) {
        noStore = directives.contains("no-store")
        if directives.contains("no-cache") {
            if let fields = directives.fieldNames("no-cache") { noCacheFields = fields } else { noCache = true }
        }
        if directives.contains("private") {
            if let fields = directives.fieldNames("private") { privateFields = fields } else { isPrivate = true }
        }
        isPublic = directives.contains("public")
        mustRevalidate = directives.contains("must-revalidate")
        proxyRevalidate = directives.contains("proxy-revalidate")
        mustUnderstand = directives.contains("must-understand")
        maxAge = directives.seconds("max-age")
        sMaxage = directives.seconds("s-maxage")
        staleWhileRevalidate = directives.seconds("stale-while-revalidate").effective
        staleIfError = directives.seconds("stale-if-error").effective
    }

    /// The directives a shared cache obeys for a response: those of `CDN-Cache-Control`
    /// when that field is a valid Structured Field dictionary holding at least one directive
    /// (RFC 9213 §2.1: the targeted field then overrides `Cache-Control` entirely), else
    /// `Cache-Control`'s. An invalid targeted field (`max-age="10"`, `&&&`, an unterminated
    /// string) is ignored whole (`TargetedCacheControl`).
    public static func effective(cacheControl: [String], cdnCacheControl: [String]) -> ResponseCacheControl {
        if !cdnCacheControl.isEmpty, let targeted = TargetedCacheControl.directives(cdnCacheControl), !targeted.isEmpty {
            return ResponseCacheControl(targeted)
        }
        return ResponseCacheControl(CacheControlDirectives(cacheControl))
    }

    /// Whether a stale response may never be served without revalidation (must-revalidate,
    /// and for a shared cache proxy-revalidate and s-maxage, RFC 9111 §5.2.2.2/§5.2.2.8/§5.2.2.10).
    public var forbidsStale: Bool {
        mustRevalidate || proxyRevalidate || sMaxage.isPresent
    }
}

/// The request directives a cache acts on (RFC 9111 §5.2.1), with `Pragma: no-cache` read
/// as `Cache-Control: no-cache` when the request has no `Cache-Control` (RFC 9111 §5.4).
public struct RequestCacheControl: Sendable, Equatable {
    public enum MaxStale: Sendable, Equatable {
        case any
        case seconds(Int64)
    }

    public var maxAge: Int64?
    public var maxStale: MaxStale?
    public var minFresh: Int64?
    public var noCache = false
    public var noStore = false
    public var onlyIfCached = false
    public var staleIfError: Int64?

    public init() {}

    public init(cacheControl: [String], pragma: [String] = []) {
        let directives = CacheControlDirectives(cacheControl)
        if directives.isEmpty {
            noCache = CacheControlDirectives(pragma).contains("no-cache")
            return
        }
        // An invalid argument is ignored rather than guessed at: the request then gets what a
        // request without the directive gets.
        if case .seconds(let s) = directives.seconds("max-age") { maxAge = s }
        if let d = directives.first("max-stale") {
            if let value = d.value {
                if let s = DeltaSeconds.parse(value) { maxStale = .seconds(s) }
            } else {
                maxStale = .any
            }
        }
        if case .seconds(let s) = directives.seconds("min-fresh") { minFresh = s }
        noCache = directives.contains("no-cache")
        noStore = directives.contains("no-store")
        onlyIfCached = directives.contains("only-if-cached")
        if case .seconds(let s) = directives.seconds("stale-if-error") { staleIfError = s }
    }
}
