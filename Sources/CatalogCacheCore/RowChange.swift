/// What a trigger says about an UPDATE beyond the ids: the columns whose values changed in
/// at least one row of the statement, and, for the columns the mapping asks for, every
/// distinct non-null value they had before or after (old and new rows together).
public struct RowChange: Sendable, Equatable {
    /// Changed column names; nil when the notification does not say (older triggers, or a
    /// statement too wide to describe): the mapping then uses the table's coarse rule.
    public var columns: [String]?
    /// Column name to its old and new values (strings; nulls left out).
    public var values: [String: [String]]

    public init(columns: [String]? = nil, values: [String: [String]] = [:]) {
        self.columns = columns
        self.values = values
    }
}
