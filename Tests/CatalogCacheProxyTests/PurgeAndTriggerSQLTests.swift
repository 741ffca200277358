import CatalogCacheCore
import NIOCore
import Testing

@testable import CatalogCacheProxy

@Suite struct PurgeAndTriggerSQLTests {
    @Test func purgePayloadsStayUnderTheNotifyLimitAndKeepEverything() throws {
        let keys = (0..<500).map { "products:\(String(repeating: "f", count: 32))\($0)" }
        let payloads = PurgePayload.make(keys: keys, tags: ["products", "quote\"tag"])
        #expect(payloads.count > 1)
        var seenKeys = 0
        for payload in payloads {
            #expect(payload.utf8.count < 8000)
            guard case .explicit(let k, let t) = try NotifyPayloadParser.parse(payload) else { Issue.record("explicit payload"); return }
            seenKeys += k.count
            if !t.isEmpty { #expect(t == ["products", "quote\"tag"]) }
        }
        #expect(seenKeys == 500)
    }

    @Test func triggerSQLUsesStatementLevelTriggersWithTransitionTables() {
        let tables = [InvalidatedTable(name: "product", idColumn: "id", mapping: TableMapping(tags: ["products"], keys: []))]
        let sql = TriggerSQL.script(tables: tables, channel: "catalog_cache")
        #expect(sql.contains("FOR EACH STATEMENT"))
        #expect(!sql.contains("FOR EACH ROW"))
        #expect(sql.contains("REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"))
        #expect(sql.contains("CREATE OR REPLACE TRIGGER catalog_cache_truncate AFTER TRUNCATE ON \"product\""))
        #expect(sql.contains("('id', 'catalog_cache')"))
    }

    /// PostgreSQL truncates a name over 63 bytes (with a notice): two long table names sharing
    /// a prefix would then share one compiled function, the second install replacing the first.
    @Test func compiledFunctionNamesFitPostgreSQLsLimitAndStayDistinct() {
        #expect(CompiledUpdate.functionName(table: "product") == "catalog_cache_update_product")
        let prefix = String(repeating: "inventory_level_location_", count: 2)
        let a = CompiledUpdate.functionName(table: prefix + "a")
        let b = CompiledUpdate.functionName(table: prefix + "b")
        #expect(a.utf8.count <= 63 && b.utf8.count <= 63)
        #expect(a != b)
        #expect(a.hasPrefix("catalog_cache_update_inventory_level"))
        let fitting = String(repeating: "t", count: 63 - "catalog_cache_update_".utf8.count)
        #expect(CompiledUpdate.functionName(table: fitting) == "catalog_cache_update_" + fitting)
    }
}
