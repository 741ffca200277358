/// The configured routes, matched in declaration order.
///
/// The first rule whose pattern matches wins. Nothing else ranks routes: a literal route such
/// as `/store/products/featured` beats `/store/products/{id}` only if it is declared before
/// it. This keeps matching predictable from the configuration file alone.
///
/// Matching splits the path once and compares it against each rule's pre-split segments
/// (segment counts first), with no regular expressions.
public struct RouteTable: Sendable, Equatable {
    public let rules: [RouteRule]

    public init(_ rules: [RouteRule]) {
        self.rules = rules
    }

    /// The first rule matching `normalizedPath` (output of `PathNormalizer.normalize`), or nil.
    public func match(path normalizedPath: String) -> RouteMatch? {
        guard let segments = PathPattern.split(normalizedPath) else { return nil }
        for rule in rules where rule.pattern.segments.count == segments.count || rule.pattern.isCatchAll {
            if let parameters = rule.pattern.match(segments: segments) {
                return RouteMatch(rule: rule, parameters: parameters)
            }
        }
        return nil
    }
}
