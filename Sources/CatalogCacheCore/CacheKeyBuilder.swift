/// Builds the storage keys of cache entries and tag sets.
///
/// A key is `prefix` followed by the rule's key template, expanded with the route's path
/// parameters and `{hash}`.
///
/// `{hash}` is the first 32 lowercase hex characters (128 bits) of SHA-256 over this byte
/// string, where `field(x)` is the 8-byte big-endian length of `x`'s UTF-8 bytes followed by
/// those bytes:
///
///     "catalog-cache key v2"              (domain separation, raw; the version changes
///                                          whenever what entries are tagged with changes,
///                                          so no instance reads an entry another version
///                                          tagged, e.g. during a rolling deploy)
///     field(route name)
///     field(normalized path)
///     field(canonical query)              (QueryNormalizer.canonical(query:filter:), the
///                                          parameters the route's `queryFilter` keeps)
///     8-byte big-endian count of vary headers
///     per vary header, in the rule's order:
///       field(lowercased name)
///       0x00                              when the header is absent, or
///       0x01 field(value)                 when present (OWS trimmed), so absent ≠ empty
///
/// Every field is length-prefixed, so no choice of path, query or header values can shift
/// bytes from one field into another: two requests share a digest only if they agree on the
/// route, the normalized path, the canonical query and every vary header (or SHA-256 collides).
/// Query parameter order is irrelevant because the canonical query sorts by name.
///
/// Path parameters are inserted as they appear in the normalized path, which is ASCII with no
/// spaces, controls or braces (those are percent-encoded), so keys stay printable as long as
/// the prefix and templates are.
public struct CacheKeyBuilder: Sendable {
    public let prefix: String

    public init(prefix: String) {
        self.prefix = prefix
    }

    /// The storage key for a request that matched `match`.
    ///
    /// - Parameters:
    ///   - path: the normalized path the match was made on.
    ///   - query: the raw query string (after `?`), or nil.
    ///   - headerValue: the request's value for a lowercased header name, nil when absent.
    public func key(
        for match: RouteMatch,
        path: String,
        query: Substring?,
        headerValue: (String) -> String?
    ) -> String {
        let template = match.rule.keyTemplate
        var digest: String?
        let expanded = template.expand { name in
            if name == KeyTemplate.hashPlaceholder {
                if digest == nil {
                    digest = CacheKeyBuilder.digest(
                        routeName: match.rule.name, path: path, canonicalQuery: QueryNormalizer.canonical(query: query, filter: match.rule.queryFilter),
                        varyHeaders: match.rule.varyHeaders.map { ($0, headerValue($0)) }
                    )
                }
                return digest
            }
            return match.parameters[name]
        }
        return prefix + expanded
    }

    /// The 32-hex-character request digest described in the type's documentation.
    public static func digest(
        routeName: String,
        path: String,
        canonicalQuery: String,
        varyHeaders: [(name: String, value: String?)]
    ) -> String {
        var hasher = SHA256()
        hasher.update(domain.utf8)
        appendField(routeName, to: &hasher)
        appendField(path, to: &hasher)
        appendField(canonicalQuery, to: &hasher)
        hasher.update(bigEndian: UInt64(varyHeaders.count))
        for header in varyHeaders {
            appendField(header.name, to: &hasher)
            if let value = header.value {
                hasher.update(CollectionOfOne(UInt8(1)))
                let trimmed = HTTPToken.trimmed(Substring(value).utf8)
                hasher.update(bigEndian: UInt64(trimmed.count))
                hasher.update(trimmed)
            } else {
                hasher.update(CollectionOfOne(UInt8(0)))
            }
        }
        return Hex.lowercase(hasher.finalize().prefix(16))
    }

    private static let domain = "catalog-cache key v2"

    private static func appendField(_ text: String, to hasher: inout SHA256) {
        hasher.update(bigEndian: UInt64(text.utf8.count))
        hasher.update(text.utf8)
    }
}
