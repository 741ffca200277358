import CatalogCacheCore

/// Told by `InvalidationApplier`, on the feed's thread, what it has just applied: the edge
/// purger and the admin event hub. Implementations must not block (they enqueue and return),
/// so a slow consumer never delays the next invalidation or a write waiting for it.
public protocol InvalidationObserver: Sendable {
    /// Tags and keys (prefixed) were dropped locally and the gate is open again; `all` after
    /// a table-wide change or a (re)connect, with `tags` every fixed tag.
    func dropped(tags: [String], keys: [String], all: Bool)
    /// A row notification was applied (after its drop, when it mapped to one).
    func rowChanged(table: String, op: RowOperation, ids: [String])
}
