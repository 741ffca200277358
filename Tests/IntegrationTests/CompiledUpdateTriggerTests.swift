import CatalogTestSupport
import CatalogCacheCore
import CatalogCacheProxy
import CatalogPostgres
import Foundation
import Testing

/// A described table's compiled UPDATE path (`CompiledUpdate`) sends what the generic trigger
/// function sends, statement for statement, and keeps doing so across migrations: two twin
/// tables on a scratch database, one on its compiled function and one on the generic one, the
/// same statements on each, the payloads compared without their table name and clock.
@Suite(.enabled(if: ThrowawayDatabase.enabled), .serialized)
struct CompiledUpdateTriggerTests {
    static let schema = """
        CREATE TABLE item (id text PRIMARY KEY, title text NOT NULL, price integer, category_id text, note text, total integer, ts text);
        INSERT INTO item VALUES ('a', 'Anvil', 100, 'c1', 'x', 1, 't1'), ('b', 'Bell', 250, 'c1', NULL, 2, 't2'), ('c', 'Cup', 80, 'c2', 'y', 3, 't3'),
            ('d', 'Drum', 900, NULL, 'z', 4, 't4'), ('e', 'Easel', 300, 'c2', 'w', 5, 't5');
        CREATE TABLE twin (LIKE item INCLUDING ALL);
        INSERT INTO twin SELECT * FROM item;
        """

    static func mapping() -> TableMapping {
        TableMapping(tags: ["items"], changes: [
            ChangeRule(columns: ["price", "title"], tags: ["item:{id}", "items:category_id={category_id}", "items:price={price}", "items:title={title}"]),
            // Columns named as the trigger function's variables (`total`, `ts`) are values too.
            ChangeRule(columns: ["total", "ts"], tags: ["items:total={total}", "items:ts={ts}"]),
        ])
    }

    /// Each statement (`{t}` the table), the migrations between them, and `install` (the
    /// triggers installed again, so the next migration meets a freshly compiled function whose
    /// plans this session has cached).
    static let steps: [String] = [
        "UPDATE {t} SET price = price + 1 WHERE id = 'a'",
        "UPDATE {t} SET title = title || '!', category_id = 'c3' WHERE id IN ('a', 'b', 'c')",
        "UPDATE {t} SET note = note WHERE id = 'b'",
        "UPDATE {t} SET category_id = NULL, price = NULL WHERE id = 'd'",
        "UPDATE {t} SET id = id || 'x' WHERE id = 'e'",
        "UPDATE {t} SET title = repeat('t', 800) WHERE id IN ('a', 'b')",
        "UPDATE {t} SET price = price WHERE id = 'none'",
        "UPDATE {t} SET note = 'all'",
        "UPDATE {t} SET total = total + 1, ts = ts || '!' WHERE id IN ('b', 'c')",
        "ALTER TABLE {t} ADD COLUMN brand text",
        "UPDATE {t} SET brand = 'Acme' WHERE id = 'a'",
        "install",
        "UPDATE {t} SET brand = 'Bolt', price = 7 WHERE id = 'b'",
        "ALTER TABLE {t} RENAME COLUMN note TO memo",
        "UPDATE {t} SET memo = 'm' WHERE id = 'c'",
        "install",
        "UPDATE {t} SET memo = 'n', title = 'Cog' WHERE id = 'c'",
        "ALTER TABLE {t} ALTER COLUMN price TYPE bigint",
        "UPDATE {t} SET price = price * 2 WHERE id IN ('a', 'c')",
        "install",
        "UPDATE {t} SET price = price + 3 WHERE id = 'a'",
        "ALTER TABLE {t} DROP COLUMN category_id",
        "UPDATE {t} SET title = 'Zither' WHERE id = 'b'",
        "ALTER TABLE {t} DROP CONSTRAINT {t}_pkey",
        "UPDATE {t} SET title = 'Yoke' WHERE id = 'c'",
    ]

    /// Both tables described (`mapping()`), and `twin` alone without rules: the tables that
    /// leave `twin`'s compiled function unused.
    static let described = ["item", "twin"].map { InvalidatedTable(name: $0, mapping: mapping()) }
    static let twinCoarse = [described[0], InvalidatedTable(name: "twin", mapping: TableMapping(tags: ["items"]))]

    /// Runs `body` off the pool on a connection to a scratch database holding `schema`, with
    /// the names of the compiled functions it holds at the time of each call.
    func withScratchDatabase(_ body: @escaping @Sendable (PostgresConnection, () throws -> [String]) throws -> Void) async throws {
        try await ThrowawayDatabase.with(prefix: "cc_compiled_", prepare: { _ = try $0.execute(Self.schema) }) { database in
            let url = database.url
            try await offThePool {
                let conn = try PostgresConnection(url: url)
                defer { conn.close() }
                try body(conn) {
                    try conn.query("SELECT proname::text FROM pg_proc WHERE proname LIKE 'catalog\\_cache\\_update\\_%' ORDER BY 1").rows.compactMap { $0[0] }
                }
            }
        }
    }

    @Test func anInstallDropsTheCompiledFunctionsNoTriggerCallsAnyMore() async throws {
        try await withScratchDatabase { (conn: PostgresConnection, compiled: () throws -> [String]) throws in
            #expect(try TriggerInstaller.install(connection: conn, tables: Self.described, channel: "cc_test").droppedFunctions.isEmpty)
            #expect(try compiled() == ["catalog_cache_update_item", "catalog_cache_update_twin"])

            #expect(try TriggerInstaller.install(connection: conn, tables: Self.twinCoarse, channel: "cc_test").droppedFunctions == ["catalog_cache_update_twin"])
            #expect(try compiled() == ["catalog_cache_update_item"])
            #expect(try conn.query("UPDATE twin SET price = price + 1 WHERE id = 'a'").affectedRows == 1)

            #expect(try TriggerInstaller.install(connection: conn, tables: Self.described, channel: "cc_test").droppedFunctions.isEmpty)
            #expect(try compiled() == ["catalog_cache_update_item", "catalog_cache_update_twin"])
        }
    }

    /// `install-triggers --print` prints what an install runs: its script, run by hand, leaves
    /// the same functions as the install (the unused compiled one dropped, the others kept).
    @Test func thePrintedScriptDropsTheCompiledFunctionsAnInstallWould() async throws {
        try await withScratchDatabase { (conn: PostgresConnection, compiled: () throws -> [String]) throws in
            _ = try TriggerInstaller.install(connection: conn, tables: Self.described, channel: "cc_test")
            #expect(try compiled() == ["catalog_cache_update_item", "catalog_cache_update_twin"])

            let shapes = try TriggerInstaller.shapes(connection: conn, tables: Self.twinCoarse)
            _ = try conn.execute(TriggerSQL.script(tables: Self.twinCoarse, channel: "cc_test", shapes: shapes))
            #expect(try compiled() == ["catalog_cache_update_item"])
            #expect(try conn.query("UPDATE twin SET price = price + 1 WHERE id = 'a'").affectedRows == 1)
            // Run again, it finds nothing to drop and still succeeds.
            _ = try conn.execute(TriggerSQL.script(tables: Self.twinCoarse, channel: "cc_test", shapes: shapes))
            #expect(try compiled() == ["catalog_cache_update_item"])
        }
    }

    @Test func theCompiledPathSendsWhatTheGenericOneSendsAcrossMigrations() async throws {
        try await ThrowawayDatabase.with(prefix: "cc_compiled_", prepare: { _ = try $0.execute(Self.schema) }) { database in
            let url = database.url
            try await offThePool {
                let writer = try PostgresConnection(url: url)
                defer { writer.close() }
                let tables = ["item", "twin"].map { InvalidatedTable(name: $0, mapping: Self.mapping()) }
                var installed: CompiledUpdate?
                /// Installs the triggers, puts the twin's UPDATE trigger back on the generic function
                /// (same arguments), and says whether the item's compiled path is the one taken now.
                func install() throws -> Bool {
                    _ = try TriggerInstaller.install(connection: writer, tables: tables, channel: "cc_test")
                    let shape = try TriggerInstaller.shapes(connection: writer, tables: [tables[0]])["item"]
                    installed = shape.flatMap { CompiledUpdate(table: "item", idColumn: "id", valueColumns: Self.mapping().valueColumns, shape: $0) }
                    _ = try writer.execute(TriggerSQL.triggers(table: "twin", idColumn: "id", channel: "cc_test", valueColumns: Self.mapping().valueColumns, describe: true))
                    let functions = try writer.query("SELECT tgrelid::regclass::text, tgfoid::regproc::text FROM pg_trigger WHERE tgname = 'catalog_cache_update' ORDER BY 1").rows.map { $0.compactMap { $0 } }
                    #expect(functions == [["item", "catalog_cache_update_item"], ["twin", "catalog_cache_notify"]])
                    return try guardHolds()
                }
                /// Whether the guard of the function installed last holds for the table as it is now.
                func guardHolds() throws -> Bool {
                    let compiled = try #require(installed)
                    return try writer.query("SELECT " + compiled.guardSQL.replacingOccurrences(of: "TG_RELID", with: "'item'::regclass")).scalar == "t"
                }
                #expect(try install(), "the compiled path must be the one taken before any migration")

                let listener = try PostgresConnection(url: url)
                defer { listener.close() }
                _ = try listener.execute("LISTEN cc_test")
                /// The payloads of one statement, without `table` and `ts`, in order: read up to a
                /// marker sent after it (notifications arrive in commit order).
                func payloads(_ sql: String) throws -> [String] {
                    _ = try writer.execute(sql)
                    _ = try writer.execute("SELECT pg_notify('cc_test', 'marker')")
                    var out: [String] = []
                    for _ in 0..<500 {
                        try listener.consumeInput()
                        for note in listener.notifies() {
                            if note.payload == "marker" { return out }
                            var object = try #require(try JSONSerialization.jsonObject(with: Data(note.payload.utf8)) as? [String: Any])
                            object["table"] = nil
                            object["ts"] = nil
                            out.append(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
                        }
                        Thread.sleep(forTimeInterval: 0.01)
                    }
                    Issue.record("no marker after \(sql)")
                    return out
                }

                var described = 0
                for step in Self.steps {
                    if step == "install" {
                        #expect(try install(), "installed again, the compiled path must be the one taken")
                        continue
                    }
                    let compiledPayloads = try payloads(step.replacingOccurrences(of: "{t}", with: "item"))
                    let genericPayloads = try payloads(step.replacingOccurrences(of: "{t}", with: "twin"))
                    #expect(compiledPayloads == genericPayloads, "\(step)")
                    described += compiledPayloads.filter { $0.contains("\"columns\"") }.count
                }
                #expect(described >= 10, "the steps must exercise described payloads, not only empty ones")
                #expect(try guardHolds() == false, "after the migrations the generic path must be the one taken")
            }
        }
    }
}
