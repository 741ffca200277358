import CatalogCacheCore
import CatalogCacheProxy
import CatalogHTTP
import CatalogTestSupport
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// Precise invalidation against its oracle: the reference origin over real PostgreSQL, with
/// the shipped configuration's triggers and rules. Generated list and detail queries are
/// cached through the proxy; after each generated write (committed by SQL, so the triggers
/// describe it) and its notification, every cached answer must equal the origin's.
@Suite(.enabled(if: TestServices.enabled), .serialized)
struct PreciseInvalidationOracleTests {
    struct Catalog {
        var products: [String]
        var categories: [String]
        var collections: [String]
    }

    func catalog(_ stack: Stack) async throws -> Catalog {
        Catalog(
            products: try await stack.sql("SELECT id FROM product ORDER BY id").rows.compactMap { $0[0] },
            categories: try await stack.sql("SELECT id FROM product_category ORDER BY id").rows.compactMap { $0[0] },
            collections: try await stack.sql("SELECT id FROM product_collection ORDER BY id").rows.compactMap { $0[0] }
        )
    }

    func randomURL(_ c: Catalog, _ g: inout SeededGenerator) -> String {
        if Int.random(in: 0..<5, using: &g) == 0 { return "/store/products/\(g.element(of: c.products))" }
        var query: [String] = []
        if Int.random(in: 0..<3, using: &g) == 0 { query += (0..<Int.random(in: 1...2, using: &g)).map { _ in "category_id[]=\(g.element(of: c.categories))" } }
        if Int.random(in: 0..<4, using: &g) == 0 { query.append("collection_id=\(g.element(of: c.collections))") }
        if Int.random(in: 0..<8, using: &g) == 0 { query += ["id=\(g.element(of: c.products))", "id=\(g.element(of: c.products))"] }
        if Int.random(in: 0..<5, using: &g) == 0 { query.append("q=\(g.element(of: ["a", "e", "shirt", "o"]))") }
        query.append("order=\(g.element(of: ["created_at", "-created_at", "price", "-price", "title", "-title"]))")
        query.append("limit=\(Int.random(in: 1...6, using: &g))")
        if Bool.random(using: &g) { query.append("offset=\(Int.random(in: 0...4, using: &g))") }
        return "/store/products?" + query.joined(separator: "&")
    }

    /// One generated write, as SQL, with what it is (for the failure message).
    func randomWrite(_ c: inout Catalog, _ g: inout SeededGenerator, serial: Int) -> (name: String, sql: String, params: [String?]) {
        let id = g.element(of: c.products)
        let category = g.element(of: c.categories)
        let collection = g.element(of: c.collections)
        switch Int.random(in: 0..<13, using: &g) {
        case 0, 1: return ("stock", "UPDATE product SET stock = stock + 1, updated_at = now() WHERE id = $1", [id])
        case 2: return ("price", "UPDATE product SET price = $2, updated_at = now() WHERE id = $1", [id, String(Int.random(in: 100...9000, using: &g))])
        case 3 where Bool.random(using: &g):
            // A rename that stays in place on the title order: lists ordered by title elsewhere stay.
            return ("title suffix", "UPDATE product SET title = title || $2, updated_at = now() WHERE id = $1", [id, " \(serial)"])
        case 3: return ("title", "UPDATE product SET title = $2, updated_at = now() WHERE id = $1", [id, g.element(of: ["Shirt \(serial)", "Apron \(serial)", "Zebra \(serial)"])])
        case 4: return ("status", "UPDATE product SET status = CASE status WHEN 'published' THEN 'draft' ELSE 'published' END WHERE id = $1", [id])
        case 5: return ("category", "UPDATE product SET category_id = $2 WHERE id = $1", [id, Bool.random(using: &g) ? category : nil])
        case 6: return ("collection", "UPDATE product SET collection_id = $2 WHERE id = $1", [id, Bool.random(using: &g) ? collection : nil])
        case 7: return ("created_at", "UPDATE product SET created_at = now() - ($2 || ' days')::interval WHERE id = $1", [id, String(Int.random(in: 0...400, using: &g))])
        case 8:
            let new = "prod_oracle_\(serial)"
            c.products.append(new)
            return ("insert", "INSERT INTO product (id, title, handle, price, category_id, collection_id, status) VALUES ($1, $2, $1, $3, $4, $5, 'published')",
                    [new, "Oracle \(serial)", String(Int.random(in: 100...9000, using: &g)), category, collection])
        case 9:
            c.products.removeAll { $0 == id }
            return ("delete", "DELETE FROM product WHERE id = $1", [id])
        case 10: return ("variant", "UPDATE product_variant SET title = $2 WHERE id = (SELECT id FROM product_variant WHERE product_id = $1 ORDER BY id LIMIT 1)", [id, "Variant \(serial)"])
        case 11:
            // Two rows swap prices: the same set of values before and after, two rows changed.
            let other = g.element(of: c.products)
            return ("price swap", "UPDATE product p SET price = o.price FROM product o WHERE (p.id, o.id) IN (($1, $2), ($2, $1))", [id, other])
        default: return ("category name", "UPDATE product_category SET name = $2 WHERE id = $1", [category, "Category \(serial)"])
        }
    }

    @Test func afterEveryWriteEveryCachedAnswerIsTheOrigins() async throws {
        try await withStack(products: 60, triggers: true) { stack in
            var configuration = try stack.configuration()
            configuration.hotTierBytes = 4 << 20
            let proxy = try await stack.startProxy(configuration)
            var c = try await catalog(stack)
            var g = SeededGenerator(seed: 1717)
            let urls = Array(Set((0..<80).map { _ in randomURL(c, &g) })).sorted()
            var survivedByKind: [String: (kept: Int, total: Int)] = [:]
            // Lists ordered by title (no search), which only places on that order can keep.
            let titleOrdered = Set(urls.filter { ($0.contains("order=title") || $0.contains("order=-title")) && !$0.contains("q=") })
            var titleOrderedKeptBySuffix = (kept: 0, total: 0)
            for serial in 0..<60 {
                for url in urls { _ = try await proxy.get(url) }  // cache them all (again)
                let write = randomWrite(&c, &g, serial: serial)
                let synced = proxy.metrics.keysInvalidated.count + 1
                _ = try await stack.sql(write.sql, write.params)
                // Notifications are applied in order: once this one is, the write's are too.
                _ = try await stack.sql("SELECT pg_notify('catalog_cache', '{\"keys\":[\"oracle-sync\"]}')")
                #expect(await eventually(seconds: 10) { proxy.metrics.keysInvalidated.count >= synced })
                var kept = 0
                for url in urls {
                    let cached = try await proxy.get(url)
                    let origin = try await stack.originClient.execute(UpstreamRequest(head: HTTPRequestHead(version: .http1_1, method: .GET, uri: url, headers: ["Host": "shop"]), body: nil), on: TestServices.group.next()).get()
                    #expect(cached.head.status == origin.head.status, "\(url) after \(write.name)")
                    let same = cached.text == origin.text
                    #expect(same, "\(url) stale after \(write.name) (\(cached.xCache ?? "-"))")
                    if cached.xCache == "HIT" { kept += 1 }
                    if write.name == "title suffix", titleOrdered.contains(url) {
                        titleOrderedKeptBySuffix.total += 1
                        if cached.xCache == "HIT" { titleOrderedKeptBySuffix.kept += 1 }
                    }
                }
                let so = survivedByKind[write.name, default: (0, 0)]
                survivedByKind[write.name] = (so.kept + kept, so.total + urls.count)
            }
            let summary = survivedByKind.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.kept)/\($0.value.total)" }.joined(separator: ", ")
            print("cached answers still hits after each kind of write: \(summary)")
            // Precise: a stock write keeps most cached answers (each list holds a few of 60 products).
            if let stock = survivedByKind["stock"] { #expect(stock.kept * 2 > stock.total, "\(summary)") }
            // Lists ordered by title are placed on that order: a rename in place keeps most.
            print("title-ordered lists still hits after renames in place: \(titleOrderedKeptBySuffix.kept) of \(titleOrderedKeptBySuffix.total)")
            // Placed, 21 of these 24 stay; with the scoped sort tags, 9.
            #expect(titleOrderedKeptBySuffix.kept * 2 > titleOrderedKeptBySuffix.total, "\(titleOrderedKeptBySuffix)")
        }
    }

    /// Renames across the title order, each checked against the origin on every page of the
    /// listing in both directions: the pages between the old and the new title go, and
    /// pages elsewhere stay cached.
    @Test func aRenameDropsThePagesBetweenItsOldAndNewTitle() async throws {
        try await withStack(products: 60, triggers: true) { stack in
            let proxy = try await stack.startProxy(try stack.configuration())
            let category = try #require(try await stack.sql("SELECT category_id FROM product WHERE status = 'published' AND category_id IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").scalar)
            let pages = ["title", "-title"].flatMap { order in
                stride(from: 0, to: 60, by: 5).flatMap { offset in
                    ["/store/products?order=\(order)&limit=5&offset=\(offset)", "/store/products?category_id=\(category)&order=\(order)&limit=5&offset=\(offset)"]
                }
            }
            let middle = try await stack.sql("SELECT id FROM product WHERE status = 'published' ORDER BY title LIMIT 5 OFFSET 25").rows.compactMap { $0[0] }
            var kept = 0, checked = 0
            for (serial, (id, title)) in zip(middle, ["AAA front", "zzz end", "MMM middle", "Aaa again", "~ past the end"]).enumerated() {
                for url in pages { _ = try await proxy.get(url) }
                let synced = proxy.metrics.keysInvalidated.count + 1
                _ = try await stack.sql("UPDATE product SET title = $2 WHERE id = $1", [id, "\(title) \(serial)"])
                _ = try await stack.sql("SELECT pg_notify('catalog_cache', '{\"keys\":[\"oracle-sync\"]}')")
                #expect(await eventually(seconds: 10) { proxy.metrics.keysInvalidated.count >= synced })
                for url in pages {
                    let cached = try await proxy.get(url)
                    let origin = try await stack.originClient.execute(UpstreamRequest(head: HTTPRequestHead(version: .http1_1, method: .GET, uri: url, headers: ["Host": "shop"]), body: nil), on: TestServices.group.next()).get()
                    let same = cached.text == origin.text
                    #expect(same, "\(url) stale after renaming \(id) to \(title) (\(cached.xCache ?? "-"))")
                    checked += 1
                    if cached.xCache == "HIT" { kept += 1 }
                }
            }
            print("title-ordered pages still hits after renames: \(kept) of \(checked)")
            // Dropping every page of the order the row can be in keeps 120 of these 240 (the
            // pages of other categories); placed, 158.
            #expect(kept * 5 > checked * 3, "\(kept) of \(checked) pages kept")
        }
    }
}
