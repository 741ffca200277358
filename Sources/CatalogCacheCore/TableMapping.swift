/// Which tags and keys a change to one table invalidates. Templates may contain `{id}`,
/// replaced by each changed row's id; any other text (including other braces) is literal.
public struct TableMapping: Sendable, Equatable {
    public var tags: [String]
    public var keys: [String]

    public init(tags: [String] = [], keys: [String] = []) {
        self.tags = tags
        self.keys = keys
    }
}
