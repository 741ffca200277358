/// A route's path shape, such as `/store/products/{id}`: literal segments and `{name}`
/// placeholders, each standing for exactly one segment; or a catch-all ending in `/*`
/// (`/*` itself, `/static/*`), which matches its prefix and every path below it.
///
/// Invariants (checked by `init`, which throws `RouteError` otherwise):
/// - the pattern starts with `/`; `/` alone is the root and has no segments;
/// - `*` appears only as a whole last segment (`isCatchAll`; it is not in `segments`);
/// - no segment is empty (no `//`, no trailing `/`), none is `.` or `..`;
/// - a placeholder is a whole segment `{name}` with `name` matching `[A-Za-z_][A-Za-z0-9_]*`,
///   and names are unique; literal segments contain no `{`, `}`, `%`, `?` or `#`.
///
/// Matching is meant for paths already canonicalized by `PathNormalizer`: a literal segment
/// matches the same bytes exactly (case-sensitive) and a placeholder matches any one non-empty
/// segment, whose text (still percent-encoded where the normalized path is) becomes the
/// parameter value. Because normalized paths keep a trailing slash, `/store/products/` does
/// not match `/store/products`.
public struct PathPattern: Sendable, Equatable, CustomStringConvertible {
    /// One segment of a pattern.
    public enum Segment: Sendable, Equatable {
        case literal(String)
        case placeholder(String)
    }

    /// The pattern as written.
    public let source: String
    /// The segments, in order.
    public let segments: [Segment]
    /// Whether the pattern ended in `/*`: it matches any path whose first segments match
    /// `segments` (the prefix itself included: `/static/*` matches `/static`).
    public let isCatchAll: Bool

    public init(_ pattern: String) throws(RouteError) {
        guard pattern.utf8.first == UInt8(ascii: "/") else {
            throw RouteError("path pattern \"\(pattern)\" must start with \"/\"")
        }
        var segments: [Segment] = []
        var names: Set<String> = []
        var body = pattern
        let catchAll = pattern.hasSuffix("/*")
        if catchAll { body = pattern == "/*" ? "/" : String(pattern.dropLast(2)) }
        if body != "/" {
            for text in body.utf8.dropFirst().split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
                let segment = String(decoding: text, as: UTF8.self)
                if text.isEmpty {
                    throw RouteError("path pattern \"\(pattern)\" has an empty segment")
                }
                if text.first == UInt8(ascii: "{") {
                    guard text.last == UInt8(ascii: "}"), text.count > 2 else {
                        throw RouteError("path pattern \"\(pattern)\": segment \"\(segment)\" is not a {name} placeholder")
                    }
                    let name = String(segment.dropFirst().dropLast())
                    guard Identifier.isValid(name) else {
                        throw RouteError("path pattern \"\(pattern)\": invalid placeholder name \"\(name)\"")
                    }
                    guard names.insert(name).inserted else {
                        throw RouteError("path pattern \"\(pattern)\": placeholder \"\(name)\" appears twice")
                    }
                    segments.append(.placeholder(name))
                } else {
                    if segment == "." || segment == ".." {
                        throw RouteError("path pattern \"\(pattern)\" has a dot segment")
                    }
                    if text.contains(where: { "{}%?#*".utf8.contains($0) }) {
                        throw RouteError("path pattern \"\(pattern)\": segment \"\(segment)\" holds a reserved character")
                    }
                    segments.append(.literal(segment))
                }
            }
        }
        self.source = pattern
        self.segments = segments
        self.isCatchAll = catchAll
    }

    /// The placeholder names in order of appearance.
    public var placeholderNames: [String] {
        segments.compactMap { if case .placeholder(let name) = $0 { name } else { nil } }
    }

    public var description: String { source }

    /// The placeholder values if `path` (a normalized path) matches, else nil.
    public func match(_ path: String) -> [String: String]? {
        guard let pathSegments = PathPattern.split(path) else { return nil }
        return match(segments: pathSegments)
    }

    /// Matching against a path already split by `split(_:)`, so a table splits once.
    func match(segments pathSegments: [Substring]) -> [String: String]? {
        guard pathSegments.count == segments.count || (isCatchAll && pathSegments.count > segments.count) else { return nil }
        var parameters: [String: String] = [:]
        for (patternSegment, pathSegment) in zip(segments, pathSegments.prefix(segments.count)) {
            switch patternSegment {
            case .literal(let literal):
                guard pathSegment.utf8.elementsEqual(literal.utf8) else { return nil }
            case .placeholder(let name):
                guard !pathSegment.isEmpty else { return nil }
                parameters[name] = String(pathSegment)
            }
        }
        return parameters
    }

    /// The segments of a path starting with `/` (the root has none), or nil without a leading `/`.
    static func split(_ path: String) -> [Substring]? {
        guard path.utf8.first == UInt8(ascii: "/") else { return nil }
        if path.utf8.count == 1 { return [] }
        return path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
    }
}
