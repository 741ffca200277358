import CatalogOrigin
import CatalogPostgres
import Testing

@Suite("Seed", .enabled(if: TestDatabase.enabled))
struct SeedTests {
    static let tables = ["product_category", "product_collection", "region", "hero_banner", "product", "product_variant"]

    /// count and md5 of every row of every seeded table.
    static func checksums(_ env: OriginTestEnvironment) async throws -> [String] {
        var out: [String] = []
        for table in tables {
            out.append(try await env.scalar(
                "SELECT count(*)::text || ':' || md5(string_agg(t::text, '|' ORDER BY id)) FROM \(table) t") ?? "")
        }
        return out
    }

    @Test("same product count gives identical rows in two databases")
    func deterministic() async throws {
        let first = try await TestDatabase.with(seed: 300) { try await Self.checksums($0) }
        let second = try await TestDatabase.with(seed: 300) { try await Self.checksums($0) }
        #expect(first == second)
        #expect(first.allSatisfy { !$0.isEmpty })
    }

    @Test("reseeding with reset reproduces the same rows; without reset it refuses")
    func resetAndRefuse() async throws {
        try await TestDatabase.with(seed: 120) { env in
            let before = try await Self.checksums(env)
            await #expect(throws: CatalogSeeder.SeedError.self) {
                try await env.pool.withConnection { try CatalogSeeder(products: 120).run($0) }
            }
            #expect(try await Self.checksums(env) == before)
            _ = try await env.pool.withConnection { try CatalogSeeder(products: 120, reset: true).run($0) }
            #expect(try await Self.checksums(env) == before)
        }
    }

    @Test("a seeded catalog is vacuumed to all-visible pages, even on a server that commits asynchronously")
    func allVisibleAfterSeeding() async throws {
        try await TestDatabase.with(seed: 2_000) { env in
            #expect(try await env.scalar("SHOW synchronous_commit") == "off", "the test services commit asynchronously")
            let pages = try await env.pool.query(
                "SELECT relname, relpages, relallvisible FROM pg_class WHERE relname IN ('product', 'product_variant') ORDER BY relname")
            #expect(pages.rows.count == 2)
            for row in pages.rows { #expect(row[1] == row[2] && row[1] != "0", "\(row)") }
        }
    }

    @Test("catalog shape: category tree, collections, regions, banners, variants, drafts")
    func shape() async throws {
        try await TestDatabase.with(seed: 300) { env in
            #expect(try await env.count("SELECT count(*) FROM product") == 300)
            let categories = try await env.count("SELECT count(*) FROM product_category")
            #expect((35...45).contains(categories))
            // Depth: some categories have a grandparent, none has a great-grandparent.
            #expect(try await env.count("""
                SELECT count(*) FROM product_category c JOIN product_category p ON p.id = c.parent_category_id
                WHERE p.parent_category_id IS NOT NULL
                """) > 0)
            #expect(try await env.count("""
                SELECT count(*) FROM product_category c JOIN product_category p ON p.id = c.parent_category_id
                JOIN product_category g ON g.id = p.parent_category_id WHERE g.parent_category_id IS NOT NULL
                """) == 0)
            #expect(try await env.count("SELECT count(*) FROM product_collection") == 25)
            #expect((4...6).contains(try await env.count("SELECT count(*) FROM region")))
            let banners = try await env.count("SELECT count(*) FROM hero_banner")
            let inactive = try await env.count("SELECT count(*) FROM hero_banner WHERE NOT is_active")
            #expect((10...20).contains(banners) && inactive > 0 && inactive < banners)
            let withVariants = try await env.count("SELECT count(DISTINCT product_id) FROM product_variant")
            #expect(withVariants > 0 && withVariants < 300)
            #expect(try await env.count("SELECT count(*) FROM product WHERE status = 'draft'") > 0)
            #expect(try await env.count("SELECT count(*) FROM product WHERE id NOT LIKE 'prod\\_%'") == 0)
            #expect(try await env.count("SELECT count(*) FROM product WHERE category_id IS NULL") == 0)
        }
    }
}
