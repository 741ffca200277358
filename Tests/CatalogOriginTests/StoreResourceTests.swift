import CatalogHTTP
import Foundation
import Testing

@Suite("Store: single products and other resources", .enabled(if: TestDatabase.enabled))
struct StoreResourceTests {
    @Test("a product by id has the Medusa shape; drafts and unknown ids are 404")
    func productByID() async throws {
        try await TestDatabase.with(seed: 300) { env in
            let id = try await env.scalar("""
                SELECT p.id FROM product p WHERE status = 'published'
                AND EXISTS (SELECT 1 FROM product_variant v WHERE v.product_id = p.id) ORDER BY id LIMIT 1
                """)!
            let r = await env.send(.GET, "/store/products/\(id)")
            #expect(r.status == .ok)
            let p = r.object("product")
            #expect(p["id"] as? String == id)
            for key in ["title", "handle", "description", "thumbnail", "status", "collection_id", "category_id",
                        "categories", "created_at", "updated_at", "variants"] {
                #expect(p.keys.contains(key), "missing \(key)")
            }
            let stock = try await env.count("SELECT stock FROM product WHERE id = $1", [id])
            let variants = p["variants"] as! [[String: Any]]
            let variantCount = try await env.count("SELECT count(*) FROM product_variant WHERE product_id = $1", [id])
            #expect(variants.count == variantCount)
            for v in variants {
                #expect(v["inventory_quantity"] as? Int == stock)
                let prices = v["prices"] as! [[String: Any]]
                #expect(prices.count == 1 && prices[0]["currency_code"] as? String == "usd" && prices[0]["amount"] is Int)
                #expect(v["sku"] is String && v["title"] is String && (v["id"] as! String).hasPrefix("variant_"))
            }

            let draft = try await env.scalar("SELECT id FROM product WHERE status = 'draft' LIMIT 1")!
            #expect(await env.send(.GET, "/store/products/\(draft)").status == .notFound)
            let missing = await env.send(.GET, "/store/products/prod_x")
            #expect(missing.status == .notFound)
            #expect(missing.json["error"] as? String == "not_found")
            #expect(missing.json["message"] as? String == "product prod_x not found")
        }
    }

    @Test("hero banners: only active ones, by sort_order, with the cache policy header")
    func heroBanners() async throws {
        try await TestDatabase.with(seed: 10) { env in
            let r = await env.send(.GET, "/store/hero-banners")
            #expect(r.status == .ok)
            #expect(r.headers.first(name: "Cache-Control") == "public, max-age=300, stale-while-revalidate=600")
            let banners = r.list("hero_banners")
            let active = try await env.count("SELECT count(*) FROM hero_banner WHERE is_active")
            #expect(banners.count == active)
            #expect(banners.allSatisfy { $0["is_active"] as? Bool == true })
            let orders = banners.map { $0["sort_order"] as! Int }
            #expect(orders == orders.sorted())
        }
    }

    @Test("regions, collections (paged) and product categories")
    func otherResources() async throws {
        try await TestDatabase.with(seed: 10) { env in
            let regions = await env.send(.GET, "/store/regions")
            let regionCount = try await env.count("SELECT count(*) FROM region")
            #expect(regions.list("regions").count == regionCount)
            #expect(regions.list("regions").allSatisfy { ($0["countries"] as? [[String: Any]])?.isEmpty == false })

            let c1 = await env.send(.GET, "/store/collections?limit=10")
            let c2 = await env.send(.GET, "/store/collections?limit=10&offset=10")
            #expect(c1.json["count"] as? Int == 25 && c1.list("collections").count == 10)
            let ids = (c1.list("collections") + c2.list("collections")).map { $0["id"] as! String }
            #expect(Set(ids).count == 20)
            #expect(await env.send(.GET, "/store/collections?limit=0").status == .badRequest)

            let categories = await env.send(.GET, "/store/product-categories")
            let categoryCount = try await env.count("SELECT count(*) FROM product_category WHERE is_active")
            #expect(categories.list("product_categories").count == categoryCount)
        }
    }

    @Test("unknown store paths are 404 JSON; writes to the store API are 405; HEAD has the same status")
    func unknownPaths() async throws {
        try await TestDatabase.with(seed: 10) { env in
            for path in ["/store/products/a/b", "/store", "/nope", "/store/regions/x", "/store/orders/order_x", "/store/hero-banners/x"] {
                let r = await env.send(.GET, path)
                #expect(r.status == .notFound, "\(path)")
                #expect(r.errorCode == "not_found")
            }
            // Carts live in Redis: without it they are unavailable, not missing.
            let cart = await env.send(.GET, "/store/carts/cart_01HZZZZZZZZZZZZZZZZZZZZZZZ")
            #expect(cart.status == .serviceUnavailable && cart.errorCode == "service_unavailable")
            let post = await env.send(.POST, "/store/products", body: "{}")
            #expect(post.status == .methodNotAllowed && post.errorCode == "method_not_allowed")
            #expect(await env.send(.HEAD, "/store/products").status == .ok)
            #expect(await env.send(.GET, "/health").status == .ok)
        }
    }
}
