import CatalogHTTP
import Foundation
import Testing

@Suite("Store: what a Next.js storefront calls", .enabled(if: TestDatabase.enabled))
struct StorefrontQueryTests {
    @Test("?handle= finds one product, collection or category; unknown handles give empty lists")
    func handles() async throws {
        try await TestDatabase.with(seed: 40) { env in
            let handle = try await env.scalar("SELECT handle FROM product WHERE status = 'published' ORDER BY created_at LIMIT 1")!
            let r = await env.send(.GET, "/store/products?handle=\(handle)&fields=*variants,+metadata")
            #expect(r.status == .ok, "\(r.text)")
            #expect(r.list("products").map { $0["handle"] as? String } == [handle])
            #expect(r.json["count"] as? Int == 1)
            #expect(await env.send(.GET, "/store/products?handle=no-such-product").list("products").isEmpty)

            let collection = try await env.scalar("SELECT handle FROM product_collection ORDER BY id LIMIT 1")!
            let cols = await env.send(.GET, "/store/collections?handle=\(collection)")
            #expect(cols.list("collections").map { $0["handle"] as? String } == [collection] && cols.json["count"] as? Int == 1)
            let category = try await env.scalar("SELECT handle FROM product_category WHERE is_active ORDER BY id LIMIT 1")!
            let cats = await env.send(.GET, "/store/product-categories?handle=\(category)&fields=id,handle")
            #expect(cats.list("product_categories").map { $0["handle"] as? String } == [category])
        }
    }

    @Test("/store/regions/{id}, /store/collections/{id}, /store/product-categories/{id}; unknown ids are 404")
    func singleResources() async throws {
        try await TestDatabase.with(seed: 10) { env in
            for (path, table, key) in [("regions", "region", "region"), ("collections", "product_collection", "collection"),
                                       ("product-categories", "product_category", "product_category")] {
                let id = try await env.scalar("SELECT id FROM \(table) ORDER BY id LIMIT 1")!
                let r = await env.send(.GET, "/store/\(path)/\(id)?fields=id")
                #expect(r.status == .ok && r.object(key)["id"] as? String == id, "\(path): \(r.text)")
                let missing = await env.send(.GET, "/store/\(path)/nope")
                #expect(missing.status == .notFound && missing.errorCode == "not_found", "\(path)")
            }
        }
    }

    @Test("region_id prices variants in the region's currency as calculated_price; an unknown region is 400")
    func regionPrices() async throws {
        try await TestDatabase.with(seed: 60) { env in
            let eur = try await env.scalar("SELECT id FROM region WHERE currency_code = 'eur'")!
            let product = try await env.scalar("""
                SELECT p.id FROM product p JOIN product_variant v ON v.product_id = p.id
                WHERE p.status = 'published' ORDER BY p.id LIMIT 1
                """)!
            let price = try await env.count("SELECT price FROM product_variant WHERE product_id = $1 ORDER BY variant_rank, id LIMIT 1", [product])
            let r = await env.send(.GET, "/store/products/\(product)?region_id=\(eur)&fields=*variants.calculated_price")
            #expect(r.status == .ok, "\(r.text)")
            let variant = (r.object("product")["variants"] as? [[String: Any]])?.first ?? [:]
            let calculated = variant["calculated_price"] as? [String: Any] ?? [:]
            #expect(calculated["currency_code"] as? String == "eur")
            #expect(calculated["calculated_amount"] as? Int == Int((Double(price) * 0.92).rounded()))
            let list = await env.send(.GET, "/store/products?id=\(product)&region_id=\(eur)")
            #expect((list.list("products").first?["calculated_price"] as? [String: Any])?["currency_code"] as? String == "eur")
            #expect(await env.send(.GET, "/store/products/\(product)").object("product")["calculated_price"] == nil)
            let bad = await env.send(.GET, "/store/products?region_id=reg_nope")
            #expect(bad.status == .badRequest && bad.message.contains("region_id"))
        }
    }

    @Test("any other query parameter is Medusa's 400 naming it")
    func unknownParameters() async throws {
        try await TestDatabase.with(seed: 5) { env in
            let cases = [
                ("/store/products?x=1", "'x'"), ("/store/products?limit=2&foo=1&bar=2", "'foo', 'bar'"),
                ("/store/products/prod_1?expand=variants", "'expand'"), ("/store/regions?x=1", "'x'"),
                ("/store/collections?cb=1", "'cb'"), ("/store/product-categories?y", "'y'"),
                ("/store/hero-banners?z=1", "'z'"), ("/admin/orders?q=1", "'q'"),
            ]
            for (uri, named) in cases {
                let r = await env.send(.GET, uri)
                #expect(r.status == .badRequest, "\(uri): \(r.text)")
                #expect(r.message == "Invalid request: Unrecognized fields: \(named)", "\(uri)")
            }
            #expect(await env.send(.GET, "/store/products?limit=2&offset=0&order=title&category_id[]=x&fields=id").status == .ok)
        }
    }
}
