import CatalogHTTP
import CatalogOrigin
import CatalogPostgres
import Foundation
import Testing

@Suite("Store: product listing", .enabled(if: TestDatabase.enabled))
struct StoreProductListTests {
    /// Every product of a listing, following pages of 100; checks count/offset/limit on each page.
    static func all(_ env: OriginTestEnvironment, _ query: String) async throws -> (products: [[String: Any]], count: Int) {
        var out: [[String: Any]] = []
        var offset = 0
        var count = -1
        repeat {
            let r = await env.send(.GET, "/store/products?limit=100&offset=\(offset)\(query.isEmpty ? "" : "&" + query)")
            try #require(r.status == .ok, "\(r.text)")
            #expect(r.json["offset"] as? Int == offset)
            #expect(r.json["limit"] as? Int == 100)
            count = r.json["count"] as? Int ?? -1
            let page = r.list("products")
            out += page
            offset += 100
            if page.isEmpty { break }
        } while offset < count
        return (out, count)
    }

    static func less(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }

    @Test("each order is sorted by its key with a unique id tiebreak, covering all published products",
          arguments: ["created_at", "-created_at", "price", "-price", "title", "-title"])
    func ordering(order: String) async throws {
        try await TestDatabase.with(seed: 300) { env in
            let published = try await env.count("SELECT count(*) FROM product WHERE status = 'published'")
            let (products, count) = try await Self.all(env, "order=\(order)")
            #expect(count == published)
            #expect(products.count == published)
            let ids = products.map { $0["id"] as! String }
            #expect(Set(ids).count == ids.count, "duplicate across pages")
            let key = order.hasPrefix("-") ? String(order.dropFirst()) : order
            let descending = order.hasPrefix("-")
            var ties = 0
            for (a, b) in zip(products, products.dropFirst()) {
                let ka: String, kb: String
                if key == "price" {
                    let pa = a["price"] as! Int, pb = b["price"] as! Int
                    ka = String(format: "%012d", pa)
                    kb = String(format: "%012d", pb)
                } else {
                    ka = a[key] as! String
                    kb = b[key] as! String
                }
                let ia = a["id"] as! String, ib = b["id"] as! String
                if ka == kb {
                    ties += 1
                    #expect(descending ? Self.less(ib, ia) : Self.less(ia, ib), "tiebreak \(ia) \(ib)")
                } else {
                    #expect(descending ? Self.less(kb, ka) : Self.less(ka, kb), "order \(ka) \(kb)")
                }
            }
            #expect(ties > 0, "seed should produce ties so the tiebreak is exercised")
            #expect(products.allSatisfy { $0["status"] as? String == "published" })
        }
    }

    @Test("default is 20 newest first; limit and offset page without overlap")
    func defaultsAndPaging() async throws {
        try await TestDatabase.with(seed: 300) { env in
            let r = await env.send(.GET, "/store/products")
            #expect(r.status == .ok)
            #expect(r.list("products").count == 20)
            #expect(r.json["limit"] as? Int == 20 && r.json["offset"] as? Int == 0)
            let explicit = await env.send(.GET, "/store/products?order=-created_at&limit=20&offset=0")
            #expect(explicit.text == r.text)
            let p1 = await env.send(.GET, "/store/products?limit=7&offset=0&order=price")
            let p2 = await env.send(.GET, "/store/products?limit=7&offset=7&order=price")
            let both = await env.send(.GET, "/store/products?limit=14&offset=0&order=price")
            let ids = { (r: TestResponse) in r.list("products").map { $0["id"] as! String } }
            #expect(ids(p1) + ids(p2) == ids(both))
            let count = r.json["count"] as! Int
            let beyond = await env.send(.GET, "/store/products?offset=\(count)")
            #expect(beyond.status == .ok && beyond.list("products").isEmpty && beyond.json["count"] as? Int == count)
        }
    }

    @Test("every page of an unfiltered listing (products, regions, collections) runs one prepared statement; filtered listings run unnamed")
    func pagesShareOnePreparedStatement() async throws {
        try await TestDatabase.with(seed: 120) { env in
            let pool = PostgresPool(configuration: OriginService.poolConfiguration(url: env.url, size: 1))
            let origin = OriginResponder(pool: pool, storefront: env.storefront)
            func ids(_ uri: String) async -> [String] {
                let r = TestResponse(await origin.respond(to: HTTPServerRequest(method: .GET, uri: uri, headers: [:], body: nil)))
                #expect(r.status == .ok, "\(uri): \(r.text)")
                return r.list("products").map { $0["id"] as! String }
            }
            var pages: [String] = []
            for (limit, offset) in [(20, 0), (20, 20), (7, 40)] {
                pages += await ids("/store/products?order=title&limit=\(limit)&offset=\(offset)")
            }
            #expect(pages == Array(await ids("/store/products?order=title&limit=100").prefix(47)))
            let category = try await env.scalar("SELECT category_id FROM product WHERE status = 'published' LIMIT 1")!
            #expect(!(await ids("/store/products?order=title&category_id=\(category)")).isEmpty)
            for offset in 0..<5 {
                for path in ["/store/regions", "/store/collections"] {
                    let r = TestResponse(await origin.respond(to: HTTPServerRequest(method: .GET, uri: "\(path)?limit=1&offset=\(offset)", headers: [:], body: nil)))
                    #expect(r.status == .ok)
                }
            }
            let held = try await pool.withConnection { conn in
                try conn.execute("SELECT statement FROM pg_prepared_statements").rows.compactMap { $0[0] }
            }
            let listings = held.filter { $0.hasPrefix("WITH page AS") }
            #expect(listings.count == 1 && listings.allSatisfy { !$0.contains("category_id = ANY") })
            #expect(held.filter { $0.contains("'regions'") }.count == 1)
            #expect(held.filter { $0.contains("'collections'") }.count == 1)
            #expect(!held.contains { $0.contains("LIMIT 1 OFFSET") }, "a page in the text took a prepared slot")
            await pool.shutdown()
        }
    }

    @Test("filters: category_id, collection_id, id (repeatable and id[]), q")
    func filters() async throws {
        try await TestDatabase.with(seed: 300) { env in
            let category = try await env.scalar("""
                SELECT category_id FROM product WHERE status = 'published' GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1
                """)!
            let inCategory = try await env.count(
                "SELECT count(*) FROM product WHERE status = 'published' AND category_id = $1", [category])
            let (byCategory, c1) = try await Self.all(env, "category_id=\(category)")
            #expect(c1 == inCategory && byCategory.count == inCategory)
            #expect(byCategory.allSatisfy { $0["category_id"] as? String == category })
            #expect(byCategory.allSatisfy { (($0["categories"] as? [[String: Any]])?.first?["id"] as? String) == category })

            let collection = try await env.scalar("""
                SELECT collection_id FROM product WHERE status = 'published' AND collection_id IS NOT NULL
                GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1
                """)!
            let inCollection = try await env.count(
                "SELECT count(*) FROM product WHERE status = 'published' AND collection_id = $1", [collection])
            let (byCollection, c2) = try await Self.all(env, "collection_id=\(collection)")
            #expect(c2 == inCollection && byCollection.count == inCollection)
            #expect(byCollection.allSatisfy { $0["collection_id"] as? String == collection })

            let ids = try await env.pool.query(
                "SELECT id FROM product WHERE status = 'published' ORDER BY id LIMIT 3").rows.map { $0[0]! }
            let draft = try await env.scalar("SELECT id FROM product WHERE status = 'draft' LIMIT 1")!
            let r = await env.send(.GET, "/store/products?id=\(ids[0])&id[]=\(ids[1])&id=\(ids[2])&id=\(draft)&id=prod_missing")
            #expect(r.json["count"] as? Int == 3)
            #expect(Set(r.list("products").map { $0["id"] as! String }) == Set(ids))

            // q: case-insensitive substring of the title; LIKE metacharacters are literal.
            let word = try await env.scalar(
                "SELECT split_part(title, ' ', 2) FROM product WHERE status = 'published' ORDER BY id LIMIT 1")!
            let matching = try await env.count(
                "SELECT count(*) FROM product WHERE status = 'published' AND position(lower($1) IN lower(title)) > 0", [word])
            let (found, c3) = try await Self.all(env, "q=\(word.uppercased())")
            #expect(c3 == matching && found.count == matching && matching > 0)
            #expect(found.allSatisfy { ($0["title"] as! String).lowercased().contains(word.lowercased()) })
            let wildcard = await env.send(.GET, "/store/products?q=%25")
            #expect(wildcard.status == .ok && wildcard.json["count"] as? Int == 0)
            let combined = await env.send(.GET, "/store/products?q=\(word)&category_id=\(category)&limit=100")
            let expected = try await env.count("""
                SELECT count(*) FROM product WHERE status = 'published' AND category_id = $2
                AND position(lower($1) IN lower(title)) > 0
                """, [word, category])
            #expect(combined.json["count"] as? Int == expected)
        }
    }

    @Test("bad query parameters are 400 invalid_request naming the parameter",
          arguments: ["limit=0", "limit=101", "limit=abc", "limit=-1", "offset=-1", "offset=x", "order=price_desc",
                      "order=-stock", "q=%ZZ", "id="])
    func badParameters(query: String) async throws {
        try await TestDatabase.with(seed: 10) { env in
            let r = await env.send(.GET, "/store/products?\(query)")
            #expect(r.status == .badRequest)
            #expect(r.errorCode == "invalid_request")
            let name = String(query.prefix(while: { $0 != "=" }))
            #expect(r.message.contains(name == "q" ? "query" : "'\(name)'"), "\(r.message)")
        }
    }
}
