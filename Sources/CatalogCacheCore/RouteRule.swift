/// One cacheable route: which paths it covers, how its cache key is built, how long entries
/// live, and which tags invalidate them.
///
/// Invariants (checked by `init`, which throws `RouteError` otherwise):
/// - `name` is non-empty;
/// - `1 <= ttl`, `0 <= staleWhileRevalidate`, `0 <= staleIfError`, each at most
///   `maximumSeconds` (one year), so millisecond arithmetic never overflows; the
///   configuration loader checks the same bound (it is the one source of it);
/// - no path placeholder is named `hash`;
/// - every placeholder of `keyTemplate` is a placeholder of `pattern` or `{hash}`;
///   every placeholder of a tag template is a placeholder of `pattern` (`{hash}` is not
///   allowed in tags);
/// - a rule with `varyHeaders` uses `{hash}`: the digest is the only part of the key that
///   covers header values, so without it two variants would share one entry;
/// - `varyHeaders` are stored lowercased, are valid header names and unique;
/// - `cacheableStatuses` is non-empty and within `cacheableStatusRange`;
/// - a `cacheControl` override holds no CR, LF or other control characters.
///
/// A key template without `{hash}` deliberately ignores the query string (e.g. a fixed key
/// such as `hero_banners:active`): every query of the route shares one entry.
///
/// Immutable, and a class: a rule is handed to every routed request and route match, and a
/// copy is then one reference count, not one per field.
public final class RouteRule: Sendable, Equatable {
    /// Upper bound for `ttl`, `staleWhileRevalidate` and `staleIfError` (one year): the
    /// configuration schema takes its ranges from here.
    public static let maximumSeconds = 31_536_000
    /// Statuses a route may list as cacheable.
    public static let cacheableStatusRange = 200...599
    /// The statuses stored when a route lists none.
    public static let defaultCacheableStatuses: Set<Int> = [200]

    public let name: String
    public let pattern: PathPattern
    public let keyTemplate: KeyTemplate
    /// Seconds an entry is fresh.
    public let ttl: Int
    /// Seconds after `ttl` during which a stale entry is served while it is refreshed.
    public let staleWhileRevalidate: Int
    /// Seconds after `ttl` during which a stale entry may be served if the upstream fails.
    public let staleIfError: Int
    /// Key namespaces the stores use beside the entries (tag sets, generations, fill locks,
    /// origin-controlled entries; `identity:` held identity copies in earlier versions): a
    /// route key may not start with one, so no entry can share a key with them.
    public static let reservedKeyNamespaces = ["tag:", "gen:", "lock:", "identity:", "rfc:"]
    /// Lowercased request header names whose values are part of the key digest.
    public let varyHeaders: [String]
    /// Tag templates as written, e.g. `product:{id}`.
    public let tags: [String]
    public let cacheableStatuses: Set<Int>
    /// Whether requests carrying `Authorization` or `Cookie` may still be served from cache.
    public let isPublic: Bool
    /// A `Cache-Control` value to send instead of the computed one.
    public let cacheControl: String?
    /// Whether this route follows its configuration or the origin's headers (RFC 9111).
    public let mode: RouteMode
    /// The query parameters that count for the key and the fill (`query.allow` / `query.ignore`).
    public let queryFilter: QueryParameterFilter

    private let tagTemplates: [KeyTemplate]

    /// Equal when every field is (two rules built from the same values are equal).
    public static func == (a: RouteRule, b: RouteRule) -> Bool {
        if a === b { return true }
        return a.name == b.name && a.pattern == b.pattern && a.keyTemplate == b.keyTemplate && a.ttl == b.ttl
            && a.staleWhileRevalidate == b.staleWhileRevalidate && a.staleIfError == b.staleIfError
            && a.varyHeaders == b.varyHeaders && a.tags == b.tags && a.cacheableStatuses == b.cacheableStatuses
            && a.isPublic == b.isPublic && a.cacheControl == b.cacheControl && a.mode == b.mode
            && a.queryFilter == b.queryFilter && a.tagTemplates == b.tagTemplates
    }

    public init(
        name: String,
        pattern: PathPattern,
        keyTemplate: KeyTemplate,
        ttl: Int,
        staleWhileRevalidate: Int = 0,
        staleIfError: Int = 0,
        varyHeaders: [String] = [],
        tags: [String] = [],
        cacheableStatuses: Set<Int> = RouteRule.defaultCacheableStatuses,
        isPublic: Bool = false,
        cacheControl: String? = nil,
        mode: RouteMode = .configured,
        queryFilter: QueryParameterFilter = .all
    ) throws(RouteError) {
        guard !name.isEmpty else { throw RouteError("route name is empty") }
        let context = "route \"\(name)\""
        guard (1...RouteRule.maximumSeconds).contains(ttl) else {
            throw RouteError("\(context): ttl must be between 1 and \(RouteRule.maximumSeconds) seconds, got \(ttl)")
        }
        guard (0...RouteRule.maximumSeconds).contains(staleWhileRevalidate) else {
            throw RouteError("\(context): stale-while-revalidate must be between 0 and \(RouteRule.maximumSeconds), got \(staleWhileRevalidate)")
        }
        guard (0...RouteRule.maximumSeconds).contains(staleIfError) else {
            throw RouteError("\(context): stale-if-error must be between 0 and \(RouteRule.maximumSeconds), got \(staleIfError)")
        }
        if let namespace = RouteRule.reservedKeyNamespaces.first(where: { keyTemplate.description.hasPrefix($0) }) {
            throw RouteError("\(context): key template \"\(keyTemplate)\" starts with \"\(namespace)\", which the store uses for its own keys")
        }
        let pathNames = Set(pattern.placeholderNames)
        if pathNames.contains(KeyTemplate.hashPlaceholder) {
            throw RouteError("\(context): path placeholder {hash} would be ambiguous with the request digest")
        }
        for placeholder in keyTemplate.placeholderNames
        where placeholder != KeyTemplate.hashPlaceholder && !pathNames.contains(placeholder) {
            throw RouteError("\(context): key template \"\(keyTemplate)\" uses {\(placeholder)}, which is neither a path placeholder of \"\(pattern)\" nor {hash}")
        }
        var tagTemplates: [KeyTemplate] = []
        for tag in tags {
            let template: KeyTemplate
            do { template = try KeyTemplate(tag) } catch { throw RouteError("\(context): tag: \(error.message)") }
            for placeholder in template.placeholderNames where !pathNames.contains(placeholder) {
                throw RouteError("\(context): tag \"\(tag)\" uses {\(placeholder)}, which is not a path placeholder of \"\(pattern)\"")
            }
            tagTemplates.append(template)
        }
        var lowercasedVary: [String] = []
        for header in varyHeaders {
            guard HTTPToken.isValidFieldName(header) else {
                throw RouteError("\(context): \"\(header)\" is not a valid header name")
            }
            let lowered = HTTPToken.lowercased(header)
            guard !lowercasedVary.contains(lowered) else {
                throw RouteError("\(context): vary header \"\(lowered)\" is listed twice")
            }
            lowercasedVary.append(lowered)
        }
        if !lowercasedVary.isEmpty && !keyTemplate.usesHash {
            throw RouteError("\(context): vary headers need {hash} in the key template \"\(keyTemplate)\"")
        }
        guard !cacheableStatuses.isEmpty, cacheableStatuses.allSatisfy({ RouteRule.cacheableStatusRange.contains($0) }) else {
            throw RouteError("\(context): cacheable statuses must be a non-empty set within \(RouteRule.cacheableStatusRange)")
        }
        if let cacheControl, cacheControl.utf8.contains(where: { $0 < 0x20 || $0 == 0x7f }) {
            throw RouteError("\(context): cache-control override holds a control character")
        }
        self.name = name
        self.pattern = pattern
        self.keyTemplate = keyTemplate
        self.ttl = ttl
        self.staleWhileRevalidate = staleWhileRevalidate
        self.staleIfError = staleIfError
        self.varyHeaders = lowercasedVary
        self.tags = tags
        self.tagTemplates = tagTemplates
        self.cacheableStatuses = cacheableStatuses
        self.isPublic = isPublic
        self.cacheControl = cacheControl
        self.mode = mode
        self.queryFilter = queryFilter
    }

    /// Convenience: parses `path` and `key` and builds the rule.
    public convenience init(
        name: String,
        path: String,
        key: String,
        ttl: Int,
        staleWhileRevalidate: Int = 0,
        staleIfError: Int = 0,
        varyHeaders: [String] = [],
        tags: [String] = [],
        cacheableStatuses: Set<Int> = RouteRule.defaultCacheableStatuses,
        isPublic: Bool = false,
        cacheControl: String? = nil,
        mode: RouteMode = .configured,
        queryFilter: QueryParameterFilter = .all
    ) throws(RouteError) {
        try self.init(
            name: name, pattern: try PathPattern(path), keyTemplate: try KeyTemplate(key), ttl: ttl,
            staleWhileRevalidate: staleWhileRevalidate, staleIfError: staleIfError, varyHeaders: varyHeaders,
            tags: tags, cacheableStatuses: cacheableStatuses, isPublic: isPublic, cacheControl: cacheControl,
            mode: mode, queryFilter: queryFilter
        )
    }

    /// The `Cache-Control` value for responses of this route: the override if set, else
    /// `public, max-age=<ttl>, stale-while-revalidate=<swr>`, plus `, stale-if-error=<n>` when
    /// `staleIfError > 0`.
    public var cacheControlHeader: String {
        if let cacheControl { return cacheControl }
        var value = "public, max-age=\(ttl), stale-while-revalidate=\(staleWhileRevalidate)"
        if staleIfError > 0 { value += ", stale-if-error=\(staleIfError)" }
        return value
    }

    /// The tags with path placeholders filled from `parameters`, in declaration order without
    /// duplicates. A placeholder missing from `parameters` stays as written.
    public func tags(for parameters: [String: String]) -> [String] {
        var seen: Set<String> = []
        var result: [String] = []
        for template in tagTemplates {
            let tag = template.expand { parameters[$0] }
            if seen.insert(tag).inserted { result.append(tag) }
        }
        return result
    }
}
