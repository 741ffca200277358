/// A route found for a request path: the rule, and the path placeholder values
/// (as they appear in the normalized path).
public struct RouteMatch: Sendable, Equatable {
    public let rule: RouteRule
    public let parameters: [String: String]

    public init(rule: RouteRule, parameters: [String: String]) {
        self.rule = rule
        self.parameters = parameters
    }

    /// The rule's tags for this request.
    public var tags: [String] { rule.tags(for: parameters) }
}
