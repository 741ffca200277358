import CatalogCacheCore

/// A described table's UPDATE path as static SQL, compiled at install time from the table's
/// columns and primary key.
///
/// The generic trigger function describes an UPDATE with about ten dynamic statements
/// (`EXECUTE`), which PostgreSQL parses and plans again on every statement: they cost more
/// than the UPDATE itself. Here the same queries name the table's columns, so PL/pgSQL plans
/// them once per session: the ids, the changed columns with the paired and the total row
/// counts, and every value column in one pass over the transition tables.
///
/// Every column is named through its table's alias (`o."total"`): an unqualified name equal to
/// one of the function's variables (`total`, `ts`, `ids`) would make PL/pgSQL refuse the
/// statement as ambiguous, and fail the writer's UPDATE.
///
/// Exact as the generic path, never less: `guardSQL` compares the table's live columns (name
/// and type, in order) and primary key with those compiled in, on every statement. After any
/// migration that adds, drops, renames or retypes a column, or changes the key, the guard
/// fails and the function takes the generic path, which reads the catalog as it is then; so a
/// column added later is still reported as changed, and a dropped one is never queried (the
/// writer's transaction cannot fail on it). Re-running `install-triggers` compiles it again.
public struct CompiledUpdate: Sendable {
    /// A table's columns as the catalog has them: names in column order, each with its
    /// signature (`columnSignature`: name, type oid and modifier, `"id 25 -1"` for a text `id`),
    /// and the primary key's columns in column order.
    public struct Shape: Sendable {
        public var columns: [(name: String, signature: String)]
        public var primaryKey: [String]

        public init(columns: [(name: String, signature: String)], primaryKey: [String]) {
            self.columns = columns
            self.primaryKey = primaryKey
        }

        /// The catalog queries for `Shape` (parameter `$1`: the quoted table name), written with
        /// the same expressions as the guard, so what install reads is what the guard compares.
        public static let columnsQuery = "SELECT attname::text, \(columnSignature) FROM pg_attribute WHERE attrelid = to_regclass($1) AND \(liveColumn) ORDER BY attnum"
        public static let primaryKeyQuery = "SELECT a.attname::text FROM \(keyColumns("to_regclass($1)")) ORDER BY a.attnum"
    }

    /// One column of `pg_attribute` as the guard compares it, and the columns it counts.
    static let columnSignature = "attname::text || ' ' || atttypid || ' ' || atttypmod"
    static let liveColumn = "attnum > 0 AND NOT attisdropped"
    /// The primary key's columns of `relation` (as `a`).
    static func keyColumns(_ relation: String) -> String {
        "pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) WHERE i.indrelid = \(relation) AND i.indisprimary"
    }

    /// The function's name, quoted for SQL.
    public let functionName: String
    public let guardSQL: String
    public let idsSQL: String
    public let describeSQL: String

    /// Nil when the table cannot be compiled: no primary key (the generic path then sends no
    /// `columns`), no `idColumn`, or a name that could end the function's quoting.
    public init?(table: String, idColumn: String, valueColumns: [String], shape: Shape) {
        let names = shape.columns.map(\.name)
        guard !shape.primaryKey.isEmpty, names.contains(idColumn),
              shape.primaryKey.allSatisfy(names.contains),
              !(shape.columns.map(\.signature) + [table]).contains(where: { $0.contains("$") }) else { return nil }
        self.functionName = Self.identifier(Self.functionName(table: table))
        guardSQL = """
            (SELECT array_agg(\(Self.columnSignature) ORDER BY attnum) FROM pg_attribute WHERE attrelid = TG_RELID AND \(Self.liveColumn)) = \(Self.array(shape.columns.map(\.signature)))
                AND (SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM \(Self.keyColumns("TG_RELID"))) = \(Self.array(shape.primaryKey))
            """
        let id = Self.identifier(idColumn)
        idsSQL = "SELECT array_agg(DISTINCT c.v) INTO ids FROM (SELECT o.\(id)::text AS v FROM old_rows o UNION SELECT n.\(id)::text FROM new_rows n) c;"
        let probes = names.map { "CASE WHEN bool_or(o.\(Self.identifier($0))::text IS DISTINCT FROM n.\(Self.identifier($0))::text) THEN \(Self.literal($0)) END" }
        let join = shape.primaryKey.map { "o.\(Self.identifier($0)) = n.\(Self.identifier($0))" }.joined(separator: " AND ")
        var describe = """
                SELECT array_remove(ARRAY[\(probes.joined(separator: ", "))]::text[], NULL), count(*)
                  INTO changed, paired FROM old_rows o JOIN new_rows n ON \(join);
                SELECT count(*) INTO total FROM new_rows;
                IF paired = total THEN
                  detail := jsonb_build_object('columns', to_jsonb(changed));
                END IF;
            """
        let values = valueColumns.filter(names.contains)
        if !values.isEmpty {
            let pairs = values.map { "\(Self.literal($0)), COALESCE(to_jsonb(array_agg(DISTINCT r.\(Self.identifier($0))::text) FILTER (WHERE r.\(Self.identifier($0)) IS NOT NULL)), '[]'::jsonb)" }
            let list = { (alias: String) in values.map { alias + "." + Self.identifier($0) }.joined(separator: ", ") }
            describe += "\n" + """
                    SELECT jsonb_build_object(\(pairs.joined(separator: ", ")))
                      INTO value_map FROM (SELECT \(list("o")) FROM old_rows o UNION ALL SELECT \(list("n")) FROM new_rows n) r;
                """
        }
        describeSQL = describe
    }

    /// `catalog_cache_update_<table>`, or within PostgreSQL's 63 bytes a prefix of it and
    /// a hash of the whole name, so two long table names never share a function.
    static func functionName(table: String) -> String {
        let name = "catalog_cache_update_" + table
        guard name.utf8.count > 63 else { return name }
        return String(decoding: name.utf8.prefix(46), as: UTF8.self) + "_" + String(SHA256.hex(Array(table.utf8)).prefix(16))
    }

    static func identifier(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
    static func literal(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }
    static func array(_ items: [String]) -> String { "ARRAY[" + items.map(literal).joined(separator: ", ") + "]::text[]" }
}
