/// One invalidation message received on the notification channel.
public enum InvalidationEvent: Sendable, Equatable {
    /// Rows of `table` changed. `ids` may be empty (a statement-level event or a truncate).
    /// `commitTimeMicros` is the commit-side timestamp, microseconds since the Unix epoch,
    /// when the trigger sent one.
    case row(table: String, op: RowOperation, ids: [String], commitTimeMicros: Int64?)
    /// Explicit unprefixed keys and tags to drop.
    case explicit(keys: [String], tags: [String])
    /// A proxy's own read-your-writes marker: it invalidates nothing by itself.
    case token(String)
}
