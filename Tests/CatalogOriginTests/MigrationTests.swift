import CatalogOrigin
import CatalogPostgres
import NIOPosix
import Testing

@Suite("Migrations", .enabled(if: TestDatabase.enabled))
struct MigrationTests {
    @Test("migrate is idempotent: the second run applies nothing and the schema is unchanged")
    func idempotent() async throws {
        try await TestDatabase.with(seed: nil) { env in
            try await env.pool.withConnection { conn in
                let schemaSQL = """
                    SELECT md5(string_agg(table_name || '.' || column_name || ':' || data_type, ',' ORDER BY table_name, column_name))
                    FROM information_schema.columns WHERE table_schema = 'public'
                    """
                let before = try conn.query(schemaSQL).scalar
                #expect(try Migrator.appliedVersions(conn) == Migrations.all.map(\.version))
                #expect(try Migrator.migrate(conn) == [])
                #expect(try Migrator.migrate(conn) == [])
                #expect(try conn.query(schemaSQL).scalar == before)
                #expect(try conn.query("SELECT count(*) FROM schema_migrations").scalar == String(Migrations.all.count))
            }
        }
    }

    @Test("the indexes the API relies on exist, including the trigram title index")
    func indexes() async throws {
        try await TestDatabase.with(seed: nil) { env in
            let names = try await env.pool.query("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")
                .rows.compactMap { $0[0] }
            for expected in ["product_status_created_idx", "product_status_price_idx", "product_status_title_idx",
                             "product_category_status_created_idx", "product_collection_status_created_idx",
                             "hero_banner_active_sort_idx", "product_title_trgm_idx", "product_handle_key"] {
                #expect(names.contains(expected), "missing index \(expected)")
            }
        }
    }

    @Test("stock can never be negative at the database level (CHECK constraint)")
    func stockCheck() async throws {
        try await TestDatabase.with(seed: 5) { env in
            await #expect(throws: PostgresError.self) {
                try await env.pool.query("UPDATE product SET stock = -1")
            }
            do {
                try await env.pool.query("UPDATE product SET stock = -1")
            } catch let error as PostgresError {
                #expect(error.sqlState == "23514")
            }
        }
    }

    @Test("serve refuses a database missing any known migration, not only the newest")
    func serveNeedsEveryMigration() async throws {
        try await TestDatabase.with(seed: nil) { env in
            let start = { try await OriginService.start(databaseURL: env.url, host: "127.0.0.1", port: 0, poolSize: 1,
                                                        group: MultiThreadedEventLoopGroup.singleton) }
            try await start().shutdown()
            try await env.pool.query("DELETE FROM schema_migrations WHERE version = $1", [String(Migrations.all[0].version)])
            await #expect(throws: NotMigrated.self) { try await start().shutdown() }
        }
    }
}
