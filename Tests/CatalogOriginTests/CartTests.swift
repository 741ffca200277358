import CatalogHTTP
import CatalogRedis
import Foundation
import Testing

@Suite("Store: carts in Redis", .enabled(if: TestDatabase.enabled))
struct CartTests {
    @Test("create, add (HINCRBY), change, remove; prices and totals come from the catalog at read time")
    func lifecycle() async throws {
        try await TestDatabase.with(seed: 30, redis: true) { env in
            let product = try await env.variantlessProduct(stock: 10, price: 1500)
            let variant = try await env.scalar("SELECT id FROM product_variant ORDER BY id LIMIT 1")!
            let variantPrice = try await env.count("SELECT price FROM product_variant WHERE id = $1", [variant])
            let id = try await env.newCart()
            let key = env.storefront.keyPrefix + "cart:" + id
            #expect(try await env.redis("TTL", key).integer.map { $0 > 600_000 } == true, "the default TTL is 7 days")

            var r = await env.send(.POST, "/store/carts/\(id)/line-items", body: #"{"variant_id":"\#(product)","quantity":2}"#)
            #expect(r.status == .ok, "\(r.text)")
            r = await env.send(.POST, "/store/carts/\(id)/line-items", body: #"{"variant_id":"\#(product)","quantity":3}"#)
            r = await env.send(.POST, "/store/carts/\(id)/line-items", body: #"{"variant_id":"\#(variant)","quantity":1}"#)
            var cart = r.object("cart")
            var items = cart["items"] as? [[String: Any]] ?? []
            #expect(items.count == 2)
            #expect(items.first { $0["variant_id"] as? String == product }?["quantity"] as? Int == 5)
            #expect(cart["total"] as? Int == 5 * 1500 + variantPrice)
            #expect(cart["currency_code"] as? String == "usd")
            #expect(try await env.redis("HGET", key, "item:" + product).string == "5")
            #expect(try await env.redis("HKEYS", key).array?.compactMap(\.string).contains { $0.contains("price") } == false,
                    "prices are never stored in the cart")

            // The price is read from the catalog when the cart is read.
            try await env.pool.query("UPDATE product SET price = 2000 WHERE id = $1", [product])
            cart = await env.send(.GET, "/store/carts/\(id)").object("cart")
            #expect(cart["total"] as? Int == 5 * 2000 + variantPrice)

            let line = "cali_" + product
            r = await env.send(.POST, "/store/carts/\(id)/line-items/\(line)", body: #"{"quantity":1}"#)
            items = r.object("cart")["items"] as? [[String: Any]] ?? []
            #expect(items.first { $0["id"] as? String == line }?["quantity"] as? Int == 1)
            r = await env.send(.DELETE, "/store/carts/\(id)/line-items/\(line)")
            #expect(r.status == .ok)
            #expect((r.object("cart")["items"] as? [[String: Any]])?.count == 1)
            #expect(await env.send(.DELETE, "/store/carts/\(id)/line-items/\(line)").status == .notFound)

            let events = try await env.events().filter { $0.fields["cart_id"] == id }
            #expect(events.count == 6, "created, three adds, one change, one removal")
            #expect(events.allSatisfy { $0.type == "cart.updated" })
        }
    }

    @Test("an unknown product is 404 PRODUCT_NOT_FOUND without a Redis write; bad bodies are 400 naming the field")
    func refusals() async throws {
        try await TestDatabase.with(seed: 10, redis: true) { env in
            let product = try await env.variantlessProduct(stock: 10)
            let draft = try await env.scalar("SELECT id FROM product WHERE id <> $1 ORDER BY id LIMIT 1", [product])!
            try await env.pool.query("UPDATE product SET status = 'draft' WHERE id = $1", [draft])
            let id = try await env.newCart()
            let key = env.storefront.keyPrefix + "cart:" + id
            let before = try await env.redis("HGETALL", key)
            let streamBefore = try await env.redis("XLEN", env.storefront.eventStreamKey)
            for ref in ["variant_nope", "prod_nope", draft] {
                let r = await env.send(.POST, "/store/carts/\(id)/line-items", body: #"{"variant_id":"\#(ref)","quantity":1}"#)
                #expect(r.status == .notFound && r.errorCode == "PRODUCT_NOT_FOUND", "\(ref): \(r.text)")
            }
            for (body, field) in [(#"{"variant_id":"\#(product)","quantity":0}"#, "quantity"), (#"{"variant_id":"\#(product)","quantity":-1}"#, "quantity"),
                                  (#"{"variant_id":"\#(product)","quantity":"2"}"#, "quantity"), (#"{"variant_id":"\#(product)"}"#, "quantity"),
                                  (#"{"quantity":1}"#, "variant_id"), (#"{"variant_id":"\#(product)","quantity":1.5}"#, "quantity"),
                                  (#"{"variant_id":"\#(product)","quantity":1,"price":1}"#, "price")] {
                let r = await env.send(.POST, "/store/carts/\(id)/line-items", body: body)
                #expect(r.status == .badRequest && r.message.contains(field), "\(body): \(r.text)")
            }
            #expect(try await env.redis("HGETALL", key) == before)
            #expect(try await env.redis("XLEN", env.storefront.eventStreamKey) == streamBefore)

            // Unknown carts are 404 and never created by a write.
            let ghost = "cart_01HZZZZZZZZZZZZZZZZZZZZZZZ"
            let r = await env.send(.POST, "/store/carts/\(ghost)/line-items", body: #"{"variant_id":"\#(product)","quantity":1}"#)
            #expect(r.status == .notFound && r.errorCode == "not_found")
            #expect(try await env.redis("EXISTS", env.storefront.keyPrefix + "cart:" + ghost).integer == 0)
            #expect(await env.send(.GET, "/store/carts/not-a-cart").status == .notFound)
        }
    }

    @Test("100 concurrent adds of one variant give 100, twenty times over")
    func concurrentAdds() async throws {
        try await TestDatabase.with(seed: 10, redis: true) { env in
            let product = try await env.variantlessProduct(stock: 10)
            for round in 0..<20 {
                let id = try await env.newCart()
                let statuses = await withTaskGroup(of: UInt.self) { group in
                    for _ in 0..<100 {
                        group.addTask {
                            await env.send(.POST, "/store/carts/\(id)/line-items", body: #"{"variant_id":"\#(product)","quantity":1}"#).status.code
                        }
                    }
                    var out: [UInt] = []
                    for await s in group { out.append(s) }
                    return out
                }
                #expect(statuses.allSatisfy { $0 == 200 }, "round \(round)")
                let items = await env.send(.GET, "/store/carts/\(id)").object("cart")["items"] as? [[String: Any]] ?? []
                #expect(items.first?["quantity"] as? Int == 100, "round \(round)")
            }
        }
    }

    @Test("a cart with a 2 s TTL is gone after 3 s; every change refreshes the TTL")
    func expiry() async throws {
        try await TestDatabase.with(seed: 10, redis: true, cartTTLSeconds: 2) { env in
            let product = try await env.variantlessProduct(stock: 10)
            let id = try await env.newCart()
            let r = await env.send(.POST, "/store/carts/\(id)/line-items", body: #"{"variant_id":"\#(product)","quantity":1}"#)
            #expect(r.status == .ok)
            #expect(try await env.redis("TTL", env.storefront.keyPrefix + "cart:" + id).integer.map { (1...2).contains($0) } == true)
            try await Task.sleep(for: .seconds(3))
            #expect(await env.send(.GET, "/store/carts/\(id)").status == .notFound)
            let late = await env.send(.POST, "/store/carts/\(id)/line-items", body: #"{"variant_id":"\#(product)","quantity":1}"#)
            #expect(late.status == .notFound)
        }
    }
}
