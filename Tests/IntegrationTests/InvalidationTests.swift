import CatalogCacheCore
import CatalogCacheProxy
import CatalogHTTP
import CatalogPostgres
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// Commit-driven invalidation through LISTEN/NOTIFY, against real PostgreSQL and Redis.
@Suite(.enabled(if: TestServices.enabled), .serialized)
struct InvalidationTests {
    func firstActiveBanner(_ stack: Stack) async throws -> String {
        try #require(try await stack.sql("SELECT id FROM hero_banner WHERE is_active ORDER BY sort_order, id LIMIT 1").scalar)
    }

    @Test func anUpdateThroughSQLIsVisibleOnTheNextGet() async throws {
        try await withStack(triggers: true) { stack in
            let proxy = try await stack.startProxy(try stack.configuration())
            let id = try await firstActiveBanner(stack)
            _ = try await proxy.get("/store/hero-banners")
            #expect(try await proxy.get("/store/hero-banners").xCache == "HIT")
            let applied = proxy.metrics.tagsInvalidated.count
            _ = try await stack.sql("UPDATE hero_banner SET title = 'Changed by psql' WHERE id = $1", [id])
            #expect(await eventually { proxy.metrics.tagsInvalidated.count > applied })
            let next = try await proxy.get("/store/hero-banners")
            #expect(next.xCache == "MISS")
            #expect(next.text.contains("Changed by psql"))
            #expect(proxy.metrics.commitToInvalidated.snapshot.count >= 1)
            #expect(proxy.metrics.receivedToInvalidated.snapshot.count == proxy.metrics.commitToInvalidated.snapshot.count)
        }
    }

    /// The feed is slowed down on purpose: without the write barrier the next GET would
    /// still find the old entry, since the notification is applied 150 ms after the commit.
    @Test func aPatchThroughTheProxyIsVisibleOnTheVeryNextGetEveryTime() async throws {
        try await withStack(triggers: true) { stack in
            var configuration = try stack.configuration()
            configuration.feedApplyDelayMillisecondsForTesting = 150
            let proxy = try await stack.startProxy(configuration)
            let id = try await firstActiveBanner(stack)
            for i in 0..<6 {
                _ = try await proxy.get("/store/hero-banners")  // make sure it is cached
                let patch = try await proxy.request(.PATCH, "/admin/hero-banners/\(id)", body: "{\"title\":\"Sale \(i)\"}")
                #expect(patch.head.status == .ok)
                let next = try await proxy.get("/store/hero-banners")
                #expect(next.text.contains("\"Sale \(i)\""), "iteration \(i): \(next.xCache ?? "-")")
            }
            #expect(proxy.metrics.readYourWritesTimeouts.count == 0)
        }
    }

    @Test func aProductEditInvalidatesItsDetailAndEveryList() async throws {
        try await withStack(triggers: true) { stack in
            let proxy = try await stack.startProxy(try stack.configuration())
            let id = try #require(try await stack.sql("SELECT id FROM product WHERE status = 'published' ORDER BY created_at DESC, id DESC LIMIT 1").scalar)
            let other = try #require(try await stack.sql("SELECT id FROM product WHERE status = 'published' AND id <> $1 LIMIT 1", [id]).scalar)
            _ = try await proxy.get("/store/products/\(id)")
            _ = try await proxy.get("/store/products/\(other)")
            _ = try await proxy.get("/store/products?limit=3")
            let patch = try await proxy.request(.PATCH, "/admin/products/\(id)", body: #"{"title":"Renamed by admin"}"#)
            #expect(patch.head.status == .ok)
            let detail = try await proxy.get("/store/products/\(id)")
            let list = try await proxy.get("/store/products?limit=3")
            let untouched = try await proxy.get("/store/products/\(other)")
            #expect(detail.xCache == "MISS")
            #expect(detail.text.contains("Renamed by admin"))
            #expect(list.xCache == "MISS")
            #expect(untouched.xCache == "HIT")
        }
    }

    @Test func twoInstancesBothInvalidate() async throws {
        try await withStack(triggers: true) { stack in
            // In-process stores: each instance holds its own copy and must drop it itself.
            let a = try await stack.startProxy(try stack.configuration(redis: false))
            let b = try await stack.startProxy(try stack.configuration(redis: false))
            let id = try await firstActiveBanner(stack)
            for proxy in [a, b] {
                _ = try await proxy.get("/store/hero-banners")
                #expect(try await proxy.get("/store/hero-banners").xCache == "HIT")
            }
            _ = try await stack.sql("UPDATE hero_banner SET title = 'Both see this' WHERE id = $1", [id])
            for proxy in [a, b] {
                #expect(await eventually { (try? await proxy.get("/store/hero-banners").text.contains("Both see this")) == true })
            }
        }
    }

    @Test func aTerminatedListenerReconnectsAndTheChangeMadeMeanwhileIsNotServed() async throws {
        try await withStack(triggers: true) { stack in
            let proxy = try await stack.startProxy(try stack.configuration())
            let id = try await firstActiveBanner(stack)
            _ = try await proxy.get("/store/hero-banners")
            #expect(try await proxy.get("/store/hero-banners").xCache == "HIT")
            let killed = try await stack.sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'catalog-cache-listen'")
            #expect(killed.count == 1)
            // Made while the listener may be gone: its notification can be lost.
            _ = try await stack.sql("UPDATE hero_banner SET title = 'Changed while disconnected' WHERE id = $1", [id])
            #expect(await eventually(seconds: 10) { proxy.metrics.feedReconnects.count >= 1 && proxy.service.feed.state == "listening" })
            let next = try await proxy.get("/store/hero-banners")
            #expect(next.text.contains("Changed while disconnected"))
        }
    }

    @Test func malformedPayloadsAreCountedAndSurvived() async throws {
        try await withStack(triggers: true) { stack in
            let proxy = try await stack.startProxy(try stack.configuration())
            for payload in ["not json", "{\"table\": 5}", "{\"keys\": \"x\"}", String(repeating: "[", count: 5000), "{\"table\":\"product\",\"op\":\"EXPLODE\",\"id\":\"1\"}"] {
                _ = try await stack.sql("SELECT pg_notify('catalog_cache', $1)", [payload])
            }
            #expect(await eventually { proxy.metrics.notificationsMalformed.count == 5 })
            // Still invalidating afterwards.
            _ = try await proxy.get("/store/hero-banners")
            let applied = proxy.metrics.tagsInvalidated.count
            _ = try await stack.sql("SELECT pg_notify('catalog_cache', $1)", [PurgePayload.make(keys: ["hero_banners:active"], tags: []).first!])
            #expect(await eventually { proxy.metrics.keysInvalidated.count >= 1 })
            #expect(try await proxy.get("/store/hero-banners").xCache == "MISS")
            #expect(proxy.metrics.tagsInvalidated.count == applied)
            #expect(proxy.service.feed.state == "listening")
        }
    }

    @Test func aFillThatStartedBeforeAnInvalidationDoesNotStoreItsResult() async throws {
        try await withStack(triggers: true) { stack in
            let gated = GatedUpstream()
            let upstream = try await HTTPServer.start(host: "127.0.0.1", port: 0, group: TestServices.group, responder: gated)
            defer { Task { try? await upstream.shutdown() } }
            let proxy = try await stack.startProxy(try stack.configuration(upstreamPort: upstream.localPort))

            let inFlight = Task { try await proxy.get("/store/hero-banners") }
            #expect(await eventually { gated.received == 1 })   // the fill is now waiting on the upstream
            let applied = proxy.metrics.tagsInvalidated.count
            _ = try await stack.sql("SELECT pg_notify('catalog_cache', '{\"tags\":[\"hero_banners\"]}')")
            #expect(await eventually { proxy.metrics.tagsInvalidated.count > applied })
            gated.open()
            let answered = try await inFlight.value
            #expect(answered.text.contains("version 1"))
            #expect(answered.xCache == "MISS")
            #expect(proxy.metrics.storeRefusedStale.count == 1)
            #expect(!(try await stack.redisKeys().contains("\(stack.keyPrefix)hero_banners:active")))
            let next = try await proxy.get("/store/hero-banners")
            #expect(next.xCache == "MISS")
            #expect(next.text.contains("version 2"))
            #expect(try await proxy.get("/store/hero-banners").xCache == "HIT")
        }
    }

    @Test func responsesCarrySurrogateKeysAndReadinessReportsTheFeed() async throws {
        try await withStack(triggers: true) { stack in
            let proxy = try await stack.startProxy(try stack.configuration())
            let id = try #require(try await stack.sql("SELECT id FROM product WHERE status = 'published' LIMIT 1").scalar)
            let detail = try await proxy.get("/store/products/\(id)")
            #expect(detail.header("surrogate-key") == "product:\(id) product_details")
            let ready = try await proxy.adminGet("/readyz")
            #expect(ready.text.contains("\"invalidation_feed\":\"listening\""))
        }
    }

    @Test func installTriggersIsIdempotentAndSkipsMissingTables() async throws {
        try await withStack(triggers: true) { stack in
            let configuration = try stack.configuration()
            let conn = try CatalogPostgres.PostgresConnection(url: stack.databaseURL)
            defer { conn.close() }
            let again = try TriggerInstaller.install(connection: conn, tables: configuration.tables, channel: configuration.notifyChannel)
            #expect(again.installed.contains("hero_banner"))
            #expect(again.skipped.map(\.table) == ["inventory_level"] || again.skipped.isEmpty)
            let count = try await stack.sql("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'catalog_cache_%'").scalar
            #expect(Int(count ?? "") == again.installed.count * 4)
            #expect(throws: (any Error).self) {
                _ = try TriggerInstaller.install(connection: conn, tables: [InvalidatedTable(name: "nope", idColumn: "id", mapping: TableMapping(tags: ["x"], keys: []))], channel: "catalog_cache")
            }
        }
    }

    /// The feed reads what is installed after every connect: a mapped table missing one of the
    /// triggers, and a described table whose UPDATEs take the generic path (its trigger on the
    /// generic function, or a compiled one a migration outdated), are counted (and logged).
    @Test func theFeedCountsTablesMissingTriggersOrOnTheGenericUpdatePath() async throws {
        try await withStack(triggers: true) { stack in
            let configuration = try stack.configuration()
            let conn = try CatalogPostgres.PostgresConnection(url: stack.databaseURL)
            defer { conn.close() }
            _ = try TriggerInstaller.install(connection: conn, tables: configuration.triggerTables, channel: configuration.notifyChannel)
            let installed = try await stack.startProxy(configuration)
            #expect(installed.metrics.tablesWithoutTriggers.current == 0)
            #expect(installed.metrics.tablesOnGenericUpdatePath.current == 0)

            _ = try conn.execute("DROP TRIGGER catalog_cache_delete ON hero_banner")
            let product = try #require(configuration.tables.first { $0.name == "product" })
            _ = try conn.execute(TriggerSQL.triggers(table: "product", idColumn: "id", channel: configuration.notifyChannel, valueColumns: product.mapping.valueColumns, describe: true))
            let broken = try await stack.startProxy(configuration)
            #expect(broken.metrics.tablesWithoutTriggers.current == 1)
            #expect(broken.metrics.tablesOnGenericUpdatePath.current == 1)
            let metrics = try await broken.adminGet("/metrics").text
            #expect(metrics.contains("catalog_cache_tables_without_triggers 1\n"))
            #expect(metrics.contains("catalog_cache_tables_generic_update_path 1\n"))

            // Installed again, then a migration: the compiled function's guard no longer matches.
            _ = try TriggerInstaller.install(connection: conn, tables: configuration.triggerTables, channel: configuration.notifyChannel)
            _ = try conn.execute("ALTER TABLE product ADD COLUMN brand text")
            let migrated = try await stack.startProxy(configuration)
            #expect(migrated.metrics.tablesWithoutTriggers.current == 0)
            #expect(migrated.metrics.tablesOnGenericUpdatePath.current == 1)
        }
    }

    /// Range rules assume the trigger reports every value and the list sorts by bytes: the
    /// installer refuses a nullable column and one with another collation, and names why.
    @Test func rangeRulesNeedANotNullColumnSortedInByteOrder() async throws {
        try await withStack(triggers: true) { stack in
            let icu = try await stack.sql("SELECT collname FROM pg_collation WHERE collprovider = 'i' ORDER BY collname LIMIT 1").scalar
            _ = try await stack.sql("""
                CREATE TABLE range_probe (id text PRIMARY KEY, loose text, bytes text NOT NULL COLLATE "C", amount integer NOT NULL\(icu.map { ", icu text NOT NULL COLLATE \"\($0)\"" } ?? ""))
                """)
            let conn = try CatalogPostgres.PostgresConnection(url: stack.databaseURL)
            defer { conn.close() }
            func install(_ column: String, _ order: SortRange.Order = .bytes) -> String {
                let rule = ChangeRule(columns: [column], tags: ["x"], rangeColumn: column, rangeOrder: order, rangeScopes: ["r:range:\(column):all"])
                let table = InvalidatedTable(name: "range_probe", mapping: TableMapping(tags: ["x"], changes: [rule]))
                do {
                    _ = try TriggerInstaller.install(connection: conn, tables: [table], channel: "catalog_cache")
                    return "installed"
                } catch {
                    return "\(error)"
                }
            }
            #expect(install("bytes") == "installed")
            #expect(install("amount", .integer) == "installed")
            #expect(install("amount").contains("it is integer, not text"))
            #expect(install("bytes", .integer).contains("it is text, not an integer"))
            #expect(install("loose").contains("range rules need range_probe.loose NOT NULL") && install("loose").contains("it is nullable"))
            #expect(install("missing").contains("does not exist"))
            if let icu { #expect(install("icu").contains("has collation \(icu)")) }
        }
    }
}
