/// One invalidation message received on the notification channel.
public enum InvalidationEvent: Sendable, Equatable {
    /// Rows of `table` changed. `ids` may be empty (a statement-level event or a truncate).
    /// `commitTimeMicros` is the commit-side timestamp, microseconds since the Unix epoch,
    /// when the trigger sent one. `change`: the changed columns and the values the mapping
    /// asked for, when the trigger sent them.
    case row(table: String, op: RowOperation, ids: [String], commitTimeMicros: Int64?, change: RowChange? = nil)
    /// Explicit unprefixed keys and tags to drop.
    case explicit(keys: [String], tags: [String])
    /// A proxy's own read-your-writes marker: it invalidates nothing by itself.
    case token(String)
}
