/// Consecutive invalidations of one read of the feed, merged so they are applied as one drop:
/// one gate, one store invalidation (one sequence number, each tag marked once), instead of one
/// per notification.
///
/// Exact because nothing is confirmed in between: the tokens (read-your-writes) read with the
/// batch are received after its drop, so every invalidation committed before a token is
/// applied before the token is received, and a request only ever sees an entry gated earlier
/// than it would have been.
/// Invariants: `tags` and `keys` keep their first-seen order without duplicates; `all` once any
/// merged drop was table-wide; `rows` (for observers) and `rowCommitTimes` (one per row
/// notification merged: its commit time in microseconds since the epoch, when it carried one)
/// in arrival order.
public struct InvalidationBatch: Sendable {
    public struct Row: Sendable, Equatable {
        public let table: String
        public let op: RowOperation
        public let ids: [String]
    }

    public private(set) var tags: [String] = []
    public private(set) var keys: [String] = []
    public private(set) var all = false
    public private(set) var rows: [Row] = []
    public private(set) var rowCommitTimes: [Int64?] = []
    /// Invalidations merged (notifications that dropped something).
    public private(set) var drops = 0
    private var seenTags: Set<String> = []
    private var seenKeys: Set<String> = []

    public init() {}

    /// Nothing to drop and nobody to tell.
    public var isEmpty: Bool { drops == 0 && rows.isEmpty }

    /// Merges one drop.
    public mutating func add(tags: [String], keys: [String], all: Bool) {
        for tag in tags where seenTags.insert(tag).inserted { self.tags.append(tag) }
        for key in keys where seenKeys.insert(key).inserted { self.keys.append(key) }
        self.all = self.all || all
        drops += 1
    }

    /// Merges the drop of one row notification, whose timings are recorded once it is applied.
    public mutating func addRow(tags: [String], keys: [String], all: Bool, commitTime: Int64?) {
        add(tags: tags, keys: keys, all: all)
        rowCommitTimes.append(commitTime)
    }

    /// A row change observers hear once the drops before it are applied.
    public mutating func changed(table: String, op: RowOperation, ids: [String]) {
        rows.append(Row(table: table, op: op, ids: ids))
    }

    /// Whether the drop has anything to do.
    public var dropsSomething: Bool { all || !tags.isEmpty || !keys.isEmpty }
}
