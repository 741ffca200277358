import RawStructuredFieldValues

/// `CDN-Cache-Control` (RFC 9213) parsed as what it is: an RFC 8941 Structured Field
/// dictionary (swift-http-structured-headers), every field line one member list.
///
/// Invariants: a field that is not a valid dictionary (an unterminated string, a bad key,
/// stray characters) gives nil, and RFC 9213 §2.1 then has the cache ignore it whole; so does
/// one whose freshness directives (`max-age`, `s-maxage`, `stale-while-revalidate`,
/// `stale-if-error`) are not non-negative sf-integers. A quoted string may hold commas
/// (`private="a,b"` names two fields); a boolean false member (`no-store=?0`) is absent;
/// parameters are ignored.
public enum TargetedCacheControl {
    /// Directives whose value must be a non-negative sf-integer.
    static let integerDirectives: Set<String> = ["max-age", "s-maxage", "stale-while-revalidate", "stale-if-error"]

    public static func directives(_ fieldLines: [String]) -> CacheControlDirectives? {
        let joined = fieldLines.joined(separator: ", ")
        var parser = StructuredFieldValueParser(Array(joined.utf8))
        guard let dictionary = try? parser.parseDictionaryFieldValue() else { return nil }
        var directives: [CacheControlDirectives.Directive] = []
        for (name, member) in dictionary {
            switch member {
            case .item(let item):
                switch item.rfc9651BareItem {
                case .bool(let present):
                    if integerDirectives.contains(name) { return nil }
                    if present { directives.append(.init(name: name, value: nil)) }
                case .integer(let value):
                    if integerDirectives.contains(name), value < 0 { return nil }
                    directives.append(.init(name: name, value: String(value)))
                case .string(let text), .token(let text), .undecodedByteSequence(let text), .displayString(let text):
                    if integerDirectives.contains(name) { return nil }
                    directives.append(.init(name: name, value: text))
                case .decimal, .date:
                    if integerDirectives.contains(name) { return nil }
                    directives.append(.init(name: name, value: nil))
                }
            case .innerList(let list):
                if integerDirectives.contains(name) { return nil }
                let names = list.bareInnerList.compactMap { item -> String? in
                    switch item.rfc9651BareItem {
                    case .string(let text), .token(let text): return text
                    default: return nil
                    }
                }
                directives.append(.init(name: name, value: names.joined(separator: ", ")))
            }
        }
        return CacheControlDirectives(directives: directives)
    }
}
