import CatalogCacheCore
import CatalogPostgres

/// Installs the triggers of `TriggerSQL` into a database, skipping mapped tables that do not
/// exist there (named in the report). Fails only when none of them exists.
public enum TriggerInstaller {
    public struct Report: Sendable, Equatable {
        public var installed: [String]
        public var skipped: [(table: String, reason: String)]
        /// Compiled UPDATE functions no trigger used any more (their table lost its `changes`
        /// rules), dropped by this install.
        public var droppedFunctions: [String] = []
        public static func == (a: Report, b: Report) -> Bool {
            a.installed == b.installed && a.skipped.map(\.table) == b.skipped.map(\.table) && a.droppedFunctions == b.droppedFunctions
        }
    }

    public enum Failure: Error, CustomStringConvertible {
        case noMappedTable([String])
        case database(String)
        case unorderedRangeColumn(table: String, column: String, reason: String)
        public var description: String {
            switch self {
            case .noMappedTable(let names): return "none of the mapped tables exists in this database (\(names.joined(separator: ", ")))"
            case .database(let message): return message
            case .unorderedRangeColumn(let table, let column, let reason):
                return "invalidation.tables.\(table).changes: range rules need \(table).\(column) NOT NULL, and text sorted in byte order (collation C, POSIX or C.UTF-8) or an integer with order: integer, but it \(reason); drop its ranges (the coarse sort tags then apply) or change the column"
            }
        }
    }

    /// Collations whose order is the byte order of UTF-8 text, the order `SortRange` assumes.
    static let byteOrderCollations: Set = ["C", "POSIX", "C.UTF-8", "C.utf8"]

    /// Why `column` of `table` cannot carry range rules, or nil: a NULL value is not reported
    /// by the trigger (a row moving from or to the end would go unseen), and any collation
    /// other than byte order sorts values otherwise than their bytes.
    static func rangeColumnProblem(connection: PostgresConnection, table: String, column: String, order: SortRange.Order) throws -> String? {
        let rows = try connection.query("""
            SELECT a.attnotnull::text, format_type(a.atttypid, NULL),
                   CASE WHEN a.attcollation = 0 THEN ''
                        WHEN c.collname = 'default' THEN CASE WHEN d.datlocprovider = 'c' THEN d.datcollate ELSE 'the ICU locale ' || coalesce(d.daticulocale, '') END
                        WHEN c.collprovider = 'c' THEN c.collcollate
                        ELSE c.collname END
            FROM pg_attribute a LEFT JOIN pg_collation c ON c.oid = a.attcollation
            JOIN pg_database d ON d.datname = current_database()
            WHERE a.attrelid = to_regclass($1) AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped
            """, ["\"\(table)\"", column])
        guard let row = rows.rows.first else { return "does not exist" }
        if row[0] != "true" { return "is nullable" }
        let type = row[1] ?? ""
        switch order {
        case .integer:
            // Negative values have no place: a change reporting one falls back to the coarse rule.
            return ["smallint", "integer", "bigint"].contains(type) ? nil : "is \(type), not an integer"
        case .bytes:
            let collation = row[2] ?? ""
            if collation.isEmpty { return "is \(type), not text" }
            return byteOrderCollations.contains(collation) ? nil : "has collation \(collation)"
        }
    }

    /// The columns and primary key of each described table (`CompiledUpdate.Shape`).
    /// Blocking: run it off any event loop.
    public static func shapes(connection: PostgresConnection, tables: [InvalidatedTable]) throws -> [String: CompiledUpdate.Shape] {
        var shapes: [String: CompiledUpdate.Shape] = [:]
        for table in tables where !table.mapping.changes.isEmpty {
            let quoted = "\"\(table.name)\""
            let columns = try connection.query(CompiledUpdate.Shape.columnsQuery, [quoted]).rows.map { (name: $0[0] ?? "", signature: $0[1] ?? "") }
            let key = try connection.query(CompiledUpdate.Shape.primaryKeyQuery, [quoted]).rows.map { $0[0] ?? "" }
            shapes[table.name] = CompiledUpdate.Shape(columns: columns, primaryKey: key)
        }
        return shapes
    }

    /// Blocking: run it off any event loop.
    public static func install(connection: PostgresConnection, tables: [InvalidatedTable], channel: String) throws -> Report {
        var present: [InvalidatedTable] = []
        var skipped: [(table: String, reason: String)] = []
        do {
            for table in tables {
                let exists = try connection.query("SELECT to_regclass($1) IS NOT NULL", ["\"\(table.name)\""]).scalar == "t"
                guard exists else {
                    skipped.append((table.name, "table does not exist"))
                    continue
                }
                let hasColumn = try connection.query(
                    "SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = $2 AND NOT attisdropped",
                    ["\"\(table.name)\"", table.idColumn]
                ).count == 1
                guard hasColumn else {
                    skipped.append((table.name, "no column \(table.idColumn)"))
                    continue
                }
                for rule in table.mapping.changes {
                    guard let column = rule.rangeColumn else { continue }
                    if let reason = try rangeColumnProblem(connection: connection, table: table.name, column: column, order: rule.rangeOrder) {
                        throw Failure.unorderedRangeColumn(table: table.name, column: column, reason: reason)
                    }
                }
                present.append(table)
            }
            guard !present.isEmpty else { throw Failure.noMappedTable(tables.map(\.name)) }
            let shapes = try self.shapes(connection: connection, tables: present)
            let dropped = try connection.transaction { conn -> [String] in
                _ = try conn.execute(TriggerSQL.function(channel: channel))
                for table in present {
                    _ = try conn.execute(TriggerSQL.tableSQL(table, channel: channel, shape: shapes[table.name]))
                }
                let unused = try conn.query(TriggerSQL.unusedCompiledFunctions).rows.compactMap { $0[0] }
                for name in unused { _ = try conn.execute("DROP FUNCTION \(name)()") }
                return unused
            }
            return Report(installed: present.map(\.name), skipped: skipped, droppedFunctions: dropped)
        } catch let error as PostgresError {
            throw Failure.database("\(error)")
        }
    }
}
