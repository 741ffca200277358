/// What one event invalidates: tags (whose entries must go) and unprefixed logical keys.
public struct InvalidationSet: Sendable, Equatable {
    public var tags: Set<String>
    public var keys: Set<String>

    public init(tags: Set<String> = [], keys: Set<String> = []) {
        self.tags = tags
        self.keys = keys
    }

    public var isEmpty: Bool { tags.isEmpty && keys.isEmpty }
}
