/// Which query parameters of a route's requests count: the others are left out of the
/// cache key and of the fill's target alike, so junk parameters (`utm_*`, random strings)
/// cannot create entries or misses at will, and the origin never sees what the key ignored.
///
/// A pattern is a parameter name (decoded, case-sensitive), or a prefix followed by `*`
/// (`utm_*`). Invariant: patterns are non-empty and `*` appears only at the end (the loader
/// checks).
public enum QueryParameterFilter: Sendable, Equatable {
    /// Every parameter counts.
    case all
    /// Only parameters matching one of the patterns count.
    case allow([String])
    /// Parameters matching one of the patterns are dropped.
    case ignore([String])

    /// Whether a parameter named `name` (decoded) counts.
    public func keeps(_ name: String) -> Bool {
        switch self {
        case .all: return true
        case .allow(let patterns): return patterns.contains { Self.matches($0, name) }
        case .ignore(let patterns): return !patterns.contains { Self.matches($0, name) }
        }
    }

    /// Whether `pattern` is a valid pattern.
    public static func isValidPattern(_ pattern: String) -> Bool {
        guard !pattern.isEmpty, pattern != "*" else { return false }
        return !pattern.dropLast().contains("*")
    }

    static func matches(_ pattern: String, _ name: String) -> Bool {
        if pattern.hasSuffix("*") { return name.hasPrefix(pattern.dropLast()) }
        return pattern == name
    }
}
