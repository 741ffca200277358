import CatalogPostgres

/// Fills an origin database with a deterministic, realistic catalog through COPY.
///
/// Invariants:
/// - Output depends only on `products` (and the fixed seed): ids, texts, prices and timestamps
///   are identical on every run, so row checksums can be compared across databases.
/// - Refuses a database that already holds catalog rows unless `reset` is set, in which case all
///   catalog tables are truncated first; everything happens in one transaction.
/// - About 1 in 3 adjacent products share `created_at`, and prices repeat, so every ordering
///   depends on its `id` tiebreak.
public struct CatalogSeeder: Sendable {
    public struct Summary: Sendable, Equatable {
        public var categories = 0
        public var collections = 0
        public var regions = 0
        public var heroBanners = 0
        public var products = 0
        public var variants = 0
    }

    public enum SeedError: Error, CustomStringConvertible {
        case notEmpty
        public var description: String {
            "database already contains catalog data; use --reset to truncate it and seed again"
        }
    }

    /// 2024-01-01T00:00:00Z: every seeded timestamp is an offset from this instant.
    static let epoch: Int64 = 1_704_067_200
    static let seed: UInt64 = 0xC47A_1064_5EED_0001
    static let batchSize = 10_000

    public var products: Int
    public var reset: Bool
    /// Created (or given this password) in the same transaction as the catalog.
    public var admin: AdminAccount

    public init(products: Int, reset: Bool = false, admin: AdminAccount = AdminAccount()) {
        self.products = products
        self.reset = reset
        self.admin = admin
    }

    /// Migrates, then seeds; `progress` receives human-readable lines (e.g. every 10,000 products).
    @discardableResult
    public func run(_ conn: PostgresConnection, progress: (String) -> Void = { _ in }) throws -> Summary {
        try Migrator.migrate(conn)
        // Commits durably even where the server runs `synchronous_commit = off` (as the tests'
        // and benchmarks' servers do). VACUUM marks a page all-visible only once the commits
        // of its rows are flushed, and refuses a whole group of transaction ids while any of
        // them (such as ANALYZE's own commit) is not: the pages would stay not all-visible and
        // every filtered count would read the heap instead of the index alone.
        try conn.execute("SET synchronous_commit = on")
        defer { _ = try? conn.execute("RESET synchronous_commit") }
        let summary: Summary = try conn.transaction { c in
            if reset {
                try c.execute("""
                    TRUNCATE inventory_movement, product_variant, product, product_category, order_line_item, "order", outbox,
                             product_collection, region, hero_banner
                    """)
            } else {
                let busy = try c.query("""
                    SELECT EXISTS (SELECT 1 FROM product) OR EXISTS (SELECT 1 FROM product_category)
                        OR EXISTS (SELECT 1 FROM hero_banner) OR EXISTS (SELECT 1 FROM region)
                        OR EXISTS (SELECT 1 FROM product_collection)
                    """)
                if busy.scalar == "t" { throw SeedError.notEmpty }
            }
            let summary = try fill(c, progress: progress)
            try admin.upsert(c)
            return summary
        }
        progress("seed: analyzing tables")
        try conn.execute("VACUUM ANALYZE product, product_variant, product_category, product_collection, region, hero_banner")
        return summary
    }

    private func fill(_ c: PostgresConnection, progress: (String) -> Void) throws -> Summary {
        var rng = SeedRandom(seed: Self.seed)
        var summary = Summary()
        let stamp = { (offset: Int64) in SeedTimestamp.format(Self.epoch + offset) }
        func id(_ prefix: String, _ offset: Int64) -> String {
            MedusaID.make(prefix, milliseconds: UInt64(Self.epoch + offset) * 1000, using: &rng)
        }

        // Categories: departments, their children and some grandchildren (a 2-3 level tree).
        var categoryRows: [String] = []
        var leafCategories: [[String]] = []  // per department: ids products may use
        for (d, dept) in SeedCatalogData.departments.enumerated() {
            let deptID = id("pcat", Int64(d))
            categoryRows.append(PostgresCopy.line([
                deptID, dept.name, slug(dept.name), "All \(dept.name.lowercased())", nil, String(d), "t", stamp(0), stamp(0),
            ]))
            var usable: [String] = []
            for (k, child) in dept.children.enumerated() {
                let childID = id("pcat", Int64(d * 100 + k))
                categoryRows.append(PostgresCopy.line([
                    childID, child.name, slug(dept.name + " " + child.name), "\(child.name) in \(dept.name)",
                    deptID, String(k), "t", stamp(0), stamp(0),
                ]))
                usable.append(childID)
                for (g, grand) in child.grandchildren.enumerated() {
                    let grandID = id("pcat", Int64(d * 100 + k * 10 + g))
                    categoryRows.append(PostgresCopy.line([
                        grandID, grand, slug(dept.name + " " + grand), "\(grand) in \(child.name)",
                        childID, String(g), "t", stamp(0), stamp(0),
                    ]))
                    usable.append(grandID)
                }
            }
            leafCategories.append(usable)
        }
        summary.categories = try c.copyIn(
            "COPY product_category (id, name, handle, description, parent_category_id, rank, is_active, created_at, updated_at) FROM STDIN",
            rows: categoryRows)

        let collectionIDs = SeedCatalogData.collections.enumerated().map { i, _ in id("pcol", Int64(i)) }
        summary.collections = try c.copyIn(
            "COPY product_collection (id, title, handle, created_at, updated_at) FROM STDIN",
            rows: zip(collectionIDs, SeedCatalogData.collections).enumerated().map { i, pair in
                PostgresCopy.line([pair.0, pair.1, slug(pair.1), stamp(Int64(i) * 86_400), stamp(Int64(i) * 86_400)])
            })

        var regionRows: [String] = []
        for (i, region) in SeedCatalogData.regions.enumerated() {
            regionRows.append(PostgresCopy.line([
                id("reg", Int64(i)), region.0, region.1, PostgresTextArray.literal(region.2), stamp(0), stamp(0),
            ]))
        }
        summary.regions = try c.copyIn(
            "COPY region (id, name, currency_code, countries, created_at, updated_at) FROM STDIN", rows: regionRows)

        var bannerRows: [String] = []
        for (i, title) in SeedCatalogData.bannerTitles.enumerated() {
            let active = i % 4 != 3  // 11 active, 4 inactive
            let order = (i * 7) % SeedCatalogData.bannerTitles.count  // shuffled but unique
            bannerRows.append(PostgresCopy.line([
                id("hb", Int64(i)), title, "https://cdn.example.com/banners/\(slug(title)).jpg",
                "/collections/\(slug(title))", active ? "t" : "f", String(order),
                stamp(Int64(i) * 3_600), stamp(Int64(i) * 3_600),
            ]))
        }
        summary.heroBanners = try c.copyIn(
            "COPY hero_banner (id, title, image_url, link, is_active, sort_order, created_at, updated_at) FROM STDIN",
            rows: bannerRows)

        // Products (and variants), in batches so progress can be reported.
        var index = 0
        while index < products {
            let end = min(products, index + Self.batchSize)
            var productRows: [String] = []
            var variantRows: [String] = []
            productRows.reserveCapacity(end - index)
            for i in index..<end {
                let dIndex = rng.int(0...(SeedCatalogData.departments.count - 1))
                let dept = SeedCatalogData.departments[dIndex]
                let adjective = rng.pick(SeedCatalogData.adjectives)
                let material = rng.pick(SeedCatalogData.materials)
                let noun = rng.pick(dept.nouns)
                let title = "\(adjective) \(material) \(noun)"
                let handle = slug(title) + "-" + String(i + 1)
                let description = "The \(title) is made from \(material.lowercased()) for \(rng.pick(SeedCatalogData.uses)). "
                    + rng.pick(SeedCatalogData.features) + " " + rng.pick(SeedCatalogData.care)
                let price = rng.int(dept.priceRange) * 100 - 1
                let stock = rng.chance(8) ? 0 : rng.int(1...500)
                let status = rng.chance(5) ? "draft" : "published"
                let category = rng.pick(leafCategories[dIndex])
                let collection: String? = rng.chance(60) ? rng.pick(collectionIDs) : nil
                let created = Int64(i * 2 / 3) * 60
                let updated = created + (rng.chance(30) ? Int64(rng.int(1...2_000_000)) : 0)
                let productID = id("prod", created)
                productRows.append(PostgresCopy.line([
                    productID, title, handle, description, "https://cdn.example.com/products/\(handle).jpg",
                    String(price), "usd", String(stock), status, category, collection, stamp(created), stamp(updated),
                ]))
                if rng.chance(30) {
                    let count = rng.int(2...min(4, dept.variantKind.count))
                    let first = rng.int(0...(dept.variantKind.count - count))
                    for v in 0..<count {
                        let option = dept.variantKind[first + v]
                        let variantPrice = price + (v == 0 ? 0 : rng.int(0...3) * 500)
                        variantRows.append(PostgresCopy.line([
                            id("variant", created), productID, option, "SKU-\(i + 1)-\(v + 1)", String(variantPrice), String(v),
                            stamp(created), stamp(created),
                        ]))
                    }
                }
            }
            summary.products += try c.copyIn(
                """
                COPY product (id, title, handle, description, thumbnail, price, currency_code, stock, status,
                              category_id, collection_id, created_at, updated_at) FROM STDIN
                """,
                rows: productRows)
            summary.variants += try c.copyIn(
                "COPY product_variant (id, product_id, title, sku, price, variant_rank, created_at, updated_at) FROM STDIN",
                rows: variantRows)
            index = end
            progress("seed: products \(index)/\(products) (\(index * 100 / max(products, 1)) %), variants \(summary.variants)")
        }
        return summary
    }
}

/// Lower-case ASCII slug: letters and digits kept, every other run of characters becomes `-`.
func slug(_ s: String) -> String {
    var out = ""
    var dash = false
    for ch in s.lowercased().unicodeScalars {
        if ("a"..."z").contains(ch) || ("0"..."9").contains(ch) {
            if dash && !out.isEmpty { out.append("-") }
            dash = false
            out.unicodeScalars.append(ch)
        } else {
            dash = true
        }
    }
    return out
}
