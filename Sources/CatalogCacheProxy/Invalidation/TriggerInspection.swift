import CatalogPostgres
import Logging

/// What the invalidation feed finds installed for the tables it maps, read after every
/// connect: a mapped table present in the database without all four of `install-triggers`'
/// triggers sends no notification for some writes (the proxy cannot invalidate what it is not
/// told; TTLs then bound staleness), and a described table whose UPDATE trigger runs the
/// generic path (its trigger on the generic function, installed by an older catalog-cache; or
/// on a compiled function whose guard no longer matches the table, after a migration) pays
/// that path's cost on every UPDATE. Both are logged and exported as gauges; neither stops
/// the feed.
public struct TriggerInspection: Sendable {
    /// Mapped tables present in the database that lack one or more of the four triggers.
    public var withoutTriggers: [String]
    /// Described tables whose UPDATEs take the generic path although `install-triggers` would
    /// compile it now: their trigger runs the generic function, or a compiled function whose
    /// guard is not the one the table's present columns and key give.
    public var onGenericUpdatePath: [String]

    public init(withoutTriggers: [String] = [], onGenericUpdatePath: [String] = []) {
        self.withoutTriggers = withoutTriggers
        self.onGenericUpdatePath = onGenericUpdatePath
    }

    /// Per present table: its name, how many of the four triggers it has, and the body of the
    /// function its UPDATE trigger runs ('' without one).
    static let query = """
        SELECT t.name,
               (SELECT count(*) FROM pg_trigger g WHERE g.tgrelid = r.oid AND g.tgname IN ('catalog_cache_insert', 'catalog_cache_update', 'catalog_cache_delete', 'catalog_cache_truncate'))::text,
               coalesce((SELECT p.prosrc FROM pg_trigger g JOIN pg_proc p ON p.oid = g.tgfoid WHERE g.tgrelid = r.oid AND g.tgname = 'catalog_cache_update'), '')
        FROM unnest($1::text[]) AS t(name)
        JOIN pg_class r ON r.oid = to_regclass(quote_ident(t.name))
        ORDER BY t.name
        """

    /// Blocking: runs on the listener's thread, before it LISTENs.
    public static func inspect(connection: PostgresConnection, tables: [InvalidatedTable]) throws -> TriggerInspection {
        let described = Dictionary(tables.filter { !$0.mapping.changes.isEmpty }.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let names = "{" + tables.map(\.name).joined(separator: ",") + "}"
        let rows = try connection.query(query, [names]).rows
        let shapes = try TriggerInstaller.shapes(connection: connection, tables: rows.compactMap { described[$0[0] ?? ""] })
        var inspection = TriggerInspection()
        for row in rows {
            let name = row[0] ?? ""
            if row[1] != "4" { inspection.withoutTriggers.append(name) }
            // The guard compiled now, and whether the installed function carries it.
            let body = row[2] ?? ""
            guard let table = described[name], !body.isEmpty,
                  let compiled = shapes[name].flatMap({ CompiledUpdate(table: name, idColumn: table.idColumn, valueColumns: table.mapping.valueColumns, shape: $0) }) else { continue }
            if !body.contains(compiled.guardSQL) { inspection.onGenericUpdatePath.append(name) }
        }
        return inspection
    }

    /// Sets the two gauges and logs each finding (`event=triggers`).
    public func record(in metrics: ProxyMetrics, logger: Logger) {
        metrics.tablesWithoutTriggers.set(withoutTriggers.count)
        metrics.tablesOnGenericUpdatePath.set(onGenericUpdatePath.count)
        if !withoutTriggers.isEmpty {
            let names = withoutTriggers.joined(separator: ", ")
            logger.error("invalidation feed: mapped tables without all of catalog-cache's triggers: \(names); some of their writes invalidate nothing (run install-triggers)", metadata: ["event": "triggers", "missing": .string(names)])
        }
        if !onGenericUpdatePath.isEmpty {
            let names = onGenericUpdatePath.joined(separator: ", ")
            logger.warning("invalidation feed: UPDATE triggers on the generic path: \(names); exact, but each UPDATE costs the writer more (run install-triggers to compile them)", metadata: ["event": "triggers", "generic": .string(names)])
        }
    }
}
