/// Taken by `TagGenerations.snapshot` before an upstream fetch; presented again before the
/// fetched response is stored. Only meaningful to the `TagGenerations` that issued it.
public struct FillTicket: Sendable, Equatable {
    /// The invalidation counter when the ticket was taken.
    public let generation: UInt64
    public let tags: [String]
    public let key: String?

    init(generation: UInt64, tags: [String], key: String?) {
        self.generation = generation
        self.tags = tags
        self.key = key
    }
}
