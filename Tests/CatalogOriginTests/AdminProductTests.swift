import CatalogHTTP
import CatalogOrigin
import Foundation
import Testing

@Suite("Admin: products", .enabled(if: TestDatabase.enabled))
struct AdminProductTests {
    @Test("create with variants, update, delete; the store reflects each change")
    func lifecycle() async throws {
        try await TestDatabase.with(seed: 20) { env in
            let category = try await env.scalar("SELECT id FROM product_category ORDER BY id LIMIT 1")!
            let collection = try await env.scalar("SELECT id FROM product_collection ORDER BY id LIMIT 1")!
            let body = """
                {"title":"Trail Mug","price":1500,"stock":4,"category_id":"\(category)","collection_id":"\(collection)",
                 "description":"Enamel","variants":[{"title":"Blue","sku":"MUG-B"},{"title":"Red","price":1700}]}
                """
            let created = await env.send(.POST, "/admin/products", body: body)
            #expect(created.status == .ok, "\(created.text)")
            let p = created.object("product")
            let id = p["id"] as! String
            #expect(id.hasPrefix("prod_") && p["handle"] as? String == "trail-mug" && p["status"] as? String == "published")
            let variants = p["variants"] as! [[String: Any]]
            #expect(variants.map { $0["title"] as! String } == ["Blue", "Red"])
            #expect(variants.map { (($0["prices"] as! [[String: Any]])[0]["amount"] as! Int) } == [1500, 1700])
            #expect(await env.send(.GET, "/store/products/\(id)").status == .ok)

            let updated = await env.send(.PATCH, "/admin/products/\(id)", body: #"{"price":999,"collection_id":null,"status":"draft"}"#)
            #expect(updated.status == .ok)
            #expect(updated.object("product")["price"] as? Int == 999)
            #expect(updated.object("product")["collection_id"] is NSNull)
            #expect(await env.send(.GET, "/store/products/\(id)").status == .notFound)
            #expect(await env.send(.GET, "/admin/products/\(id)").object("product")["status"] as? String == "draft")
            let viaPost = await env.send(.POST, "/admin/products/\(id)", body: #"{"status":"published","title":"Trail Mug 2"}"#)
            #expect(viaPost.object("product")["title"] as? String == "Trail Mug 2")

            let deleted = await env.send(.DELETE, "/admin/products/\(id)")
            #expect(deleted.json["deleted"] as? Bool == true && deleted.json["object"] as? String == "product")
            #expect(try await env.count("SELECT count(*) FROM product_variant WHERE product_id = $1", [id]) == 0)
            #expect(await env.send(.DELETE, "/admin/products/\(id)").status == .notFound)
            #expect(await env.send(.PATCH, "/admin/products/\(id)", body: #"{"price":1}"#).status == .notFound)
        }
    }

    @Test("duplicate handle is 409 conflict and writes nothing")
    func duplicateHandle() async throws {
        try await TestDatabase.with(seed: 20) { env in
            let handle = try await env.scalar("SELECT handle FROM product ORDER BY id LIMIT 1")!
            let before = try await env.footprint()
            let r = await env.send(.POST, "/admin/products", body: "{\"title\":\"X\",\"price\":1,\"handle\":\"\(handle)\"}")
            #expect(r.status == .conflict && r.errorCode == "conflict")
            // A duplicate sku in the variants rolls back the product insert too.
            let r2 = await env.send(.POST, "/admin/products",
                                    body: #"{"title":"Y","price":1,"variants":[{"title":"a","sku":"S1"},{"title":"b","sku":"S1"}]}"#)
            #expect(r2.status == .conflict)
            #expect(try await env.footprint() == before)
        }
    }

    @Test("invalid bodies are 400 naming the field and write nothing", arguments: [
        (#"{"price":100}"#, "title"),
        (#"{"title":"t"}"#, "price"),
        (#"{"title":"t","price":-1}"#, "price"),
        (#"{"title":"t","price":1.5}"#, "price"),
        (#"{"title":"t","price":"100"}"#, "price"),
        (#"{"title":"t","price":true}"#, "price"),
        (#"{"title":"t","price":99999999999}"#, "price"),
        (#"{"title":"t","price":1,"stock":-5}"#, "stock"),
        (#"{"title":"t","price":1,"status":"archived"}"#, "status"),
        (#"{"title":"t","price":1,"currency_code":"US"}"#, "currency_code"),
        (#"{"title":"t","price":1,"handle":"Bad Handle"}"#, "handle"),
        (#"{"title":"t","price":1,"category_id":"pcat_missing"}"#, "category_id"),
        (#"{"title":"t","price":1,"collection_id":"pcol_missing"}"#, "collection_id"),
        (#"{"title":"t","price":1,"colour":"red"}"#, "colour"),
        (#"{"title":"t","price":1,"variants":[{"sku":"x"}]}"#, "variants[0].title"),
        (#"{"title":"t","price":1,"variants":{}}"#, "variants"),
        (#"{"title":null,"price":1}"#, "title"),
        ("not json", "JSON"),
        ("", "JSON"),
    ])
    func invalidCreate(body: String, field: String) async throws {
        try await TestDatabase.with(seed: 20) { env in
            let before = try await env.footprint()
            let r = await env.send(.POST, "/admin/products", body: body)
            #expect(r.status == .badRequest, "\(r.text)")
            #expect(r.message.contains(field), "\(r.message)")
            #expect(try await env.footprint() == before)
        }
    }

    @Test("invalid updates are 400 and write nothing")
    func invalidUpdate() async throws {
        try await TestDatabase.with(seed: 20) { env in
            let id = try await env.scalar("SELECT id FROM product ORDER BY id LIMIT 1")!
            let before = try await env.footprint()
            for (body, field) in [(#"{"price":-1}"#, "price"), (#"{"variants":[]}"#, "variants"),
                                  (#"{"title":""}"#, "title"), (#"{"stock":"3"}"#, "stock"),
                                  (#"{"category_id":"nope"}"#, "category_id")] {
                let r = await env.send(.PATCH, "/admin/products/\(id)", body: body)
                #expect(r.status == .badRequest && r.message.contains(field), "\(body): \(r.text)")
            }
            #expect(try await env.footprint() == before)
        }
    }

    @Test("the unfiltered listing count stays exact across creates, status changes, deletes and reseeds")
    func listingCountStaysExact() async throws {
        try await TestDatabase.with(seed: 40) { env in
            func check() async throws {
                let listed = await env.send(.GET, "/store/products?limit=1").json["count"] as? Int
                let actual = try await env.count("SELECT count(*) FROM product WHERE status = 'published'")
                #expect(listed == actual)
            }
            try await check()
            let created = await env.send(.POST, "/admin/products", body: #"{"title":"Count Me","price":1}"#)
            let id = created.object("product")["id"] as! String
            try await check()
            _ = await env.send(.PATCH, "/admin/products/\(id)", body: #"{"status":"draft"}"#)
            try await check()
            _ = await env.send(.PATCH, "/admin/products/\(id)", body: #"{"status":"published"}"#)
            _ = await env.send(.POST, "/admin/products/\(id)/inventory", body: #"{"delta":3}"#)
            try await check()
            _ = await env.send(.DELETE, "/admin/products/\(id)")
            try await check()
            _ = try await env.pool.withConnection { try CatalogSeeder(products: 25, reset: true).run($0) }
            try await check()
        }
    }
}
