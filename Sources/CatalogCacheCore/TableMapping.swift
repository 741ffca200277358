/// Which tags and keys a change to one table invalidates.
///
/// `tags` and `keys` are the coarse rule: what any change may affect. Templates may contain
/// `{id}`, replaced by each changed row's id; any other text (including other braces) is
/// literal. `changes`, when given, are the precise rules (`ChangeRule`): an INSERT or DELETE
/// uses the rules naming its operation, an UPDATE the union of the rules naming each changed
/// column. Whatever the precise rules cannot decide (a column no rule names, an operation no
/// rule names, an UPDATE whose notification carries no column names, a value the trigger did
/// not send) falls back to the coarse rule, so a new column can never make the cache stale.
public struct TableMapping: Sendable, Equatable {
    public var tags: [String]
    public var keys: [String]
    public var changes: [ChangeRule]

    public init(tags: [String] = [], keys: [String] = [], changes: [ChangeRule] = []) {
        self.tags = tags
        self.keys = keys
        self.changes = changes
    }

    /// Columns whose old and new values the trigger must report, over every rule.
    public var valueColumns: [String] {
        var seen: Set<String> = []
        return changes.flatMap(\.valueColumns).filter { seen.insert($0).inserted }
    }

    /// The rules a change uses, or nil when they cannot decide it (coarse fallback).
    /// An UPDATE that changed no column at all uses no rule: nothing can have changed.
    public func rules(for op: RowOperation, change: RowChange?) -> [ChangeRule]? {
        guard !changes.isEmpty else { return nil }
        switch op {
        case .insert, .delete:
            let named = changes.filter { $0.operations.contains(op) }
            return named.isEmpty ? nil : named
        case .update:
            guard let columns = change?.columns else { return nil }
            var used: [ChangeRule] = []
            for column in columns {
                let naming = changes.filter { $0.columns.contains(column) }
                if naming.isEmpty { return nil }
                for rule in naming where !used.contains(rule) { used.append(rule) }
            }
            return used
        case .truncate:
            return nil
        }
    }
}
