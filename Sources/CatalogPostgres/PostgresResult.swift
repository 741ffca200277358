/// A fully materialised, text-format query result.
///
/// Invariant: every element of `rows` has exactly `columns.count` values; a nil value is SQL NULL.
public struct PostgresResult: Sendable {
    /// Column names, in select-list order.
    public let columns: [String]
    /// Row values as PostgreSQL text output (nil for NULL).
    public let rows: [[String?]]
    /// Rows affected by INSERT/UPDATE/DELETE/COPY (from PQcmdTuples), 0 when not applicable.
    public let affectedRows: Int

    public init(columns: [String], rows: [[String?]], affectedRows: Int) {
        self.columns = columns
        self.rows = rows
        self.affectedRows = affectedRows
    }

    public var isEmpty: Bool { rows.isEmpty }
    public var count: Int { rows.count }

    /// The first column of the first row, nil if there is no row or the value is NULL.
    public var scalar: String? { rows.first?.first ?? nil }

    /// Index of a named column, nil if absent.
    public func columnIndex(_ name: String) -> Int? { columns.firstIndex(of: name) }

    /// Value of a named column in a row, nil for NULL or unknown column.
    public func value(_ row: Int, _ column: String) -> String? {
        guard let c = columnIndex(column), row < rows.count else { return nil }
        return rows[row][c]
    }

    /// Integer value of a named column in a row.
    public func int(_ row: Int, _ column: String) -> Int? { value(row, column).flatMap { Int($0) } }

    /// Boolean value of a named column (`t`/`f` in text format).
    public func bool(_ row: Int, _ column: String) -> Bool? {
        switch value(row, column) {
        case "t": return true
        case "f": return false
        default: return nil
        }
    }
}
