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
}
