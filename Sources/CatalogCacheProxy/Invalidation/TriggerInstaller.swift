import CatalogPostgres

/// Installs the triggers of `TriggerSQL` into a database, skipping mapped tables that do not
/// exist there (named in the report). Fails only when none of them exists.
public enum TriggerInstaller {
    public struct Report: Sendable, Equatable {
        public var installed: [String]
        public var skipped: [(table: String, reason: String)]
        public static func == (a: Report, b: Report) -> Bool {
            a.installed == b.installed && a.skipped.map(\.table) == b.skipped.map(\.table)
        }
    }

    public enum Failure: Error, CustomStringConvertible {
        case noMappedTable([String])
        case database(String)
        public var description: String {
            switch self {
            case .noMappedTable(let names): return "none of the mapped tables exists in this database (\(names.joined(separator: ", ")))"
            case .database(let message): return message
            }
        }
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
                present.append(table)
            }
            guard !present.isEmpty else { throw Failure.noMappedTable(tables.map(\.name)) }
            _ = try connection.transaction { conn in
                _ = try conn.execute(TriggerSQL.function(channel: channel))
                for table in present {
                    _ = try conn.execute(TriggerSQL.triggers(table: table.name, idColumn: table.idColumn, channel: channel, valueColumns: table.mapping.valueColumns, describe: !table.mapping.changes.isEmpty, idQuery: table.idQuery))
                }
            }
        } catch let error as PostgresError {
            throw Failure.database("\(error)")
        }
        return Report(installed: present.map(\.name), skipped: skipped)
    }
}
