import CatalogHTTP
import Foundation
import Testing

@Suite("Store: checkout and orders", .enabled(if: TestDatabase.enabled))
struct CheckoutTests {
    /// A cart holding `quantity` of `ref`.
    static func cart(_ env: OriginTestEnvironment, _ ref: String, quantity: Int = 1) async throws -> String {
        let id = try await env.newCart()
        let r = await env.send(.POST, "/store/carts/\(id)/line-items", body: #"{"variant_id":"\#(ref)","quantity":\#(quantity)}"#)
        guard r.status == .ok else { throw CartFailed(text: r.text) }
        return id
    }

    @Test("complete writes order, items, stock, movements and order.placed in one go, then clears the cart")
    func complete() async throws {
        try await TestDatabase.with(seed: 30, redis: true) { env in
            let product = try await env.variantlessProduct(stock: 10, price: 1250)
            let id = try await Self.cart(env, product, quantity: 3)
            let r = await env.send(.POST, "/store/carts/\(id)/complete")
            #expect(r.status == .ok, "\(r.text)")
            #expect(r.json["type"] as? String == "order")
            let order = r.object("order")
            let orderID = try #require(order["id"] as? String)
            #expect(order["status"] as? String == "pending")
            #expect(order["total"] as? Int == 3 * 1250)
            #expect((order["items"] as? [[String: Any]])?.first?["quantity"] as? Int == 3)
            #expect(try await env.count("SELECT stock FROM product WHERE id = $1", [product]) == 7)
            #expect(try await env.count("SELECT sum(quantity_change) FROM inventory_movement WHERE order_id = $1", [orderID]) == -3)
            #expect(try await env.scalar("SELECT event FROM outbox WHERE aggregate_id = $1", [orderID]) == "order.placed")
            #expect(try await env.redis("EXISTS", env.storefront.keyPrefix + "cart:" + id).integer == 0)
            #expect(try await env.events().contains { $0.type == "cart.cleared" && $0.fields["cart_id"] == id })

            // Completing again (the cart is gone now) answers the same order.
            let again = await env.send(.POST, "/store/carts/\(id)/complete")
            #expect(again.status == .ok && again.text == r.text)
            let store = await env.send(.GET, "/store/orders/\(orderID)")
            #expect(store.status == .ok && store.object("order")["id"] as? String == orderID)
            #expect(store.headers.first(name: "cache-control") == "private, no-store")
            let admin = await env.send(.GET, "/admin/orders/\(orderID)")
            #expect(admin.status == .ok)
            let list = await env.send(.GET, "/admin/orders?limit=10")
            #expect(list.list("orders").count == 1 && list.json["count"] as? Int == 1)
            #expect(await env.send(.GET, "/admin/orders?limit=10", authenticated: false).status == .unauthorized)
        }
    }

    @Test("short of stock: 409 INSUFFICIENT_STOCK naming the item, nothing written, the cart kept")
    func insufficientStock() async throws {
        try await TestDatabase.with(seed: 30, redis: true) { env in
            let product = try await env.variantlessProduct(stock: 2)
            let id = try await Self.cart(env, product, quantity: 3)
            let before = try await env.footprint()
            let r = await env.send(.POST, "/store/carts/\(id)/complete")
            #expect(r.status == .conflict && r.errorCode == "INSUFFICIENT_STOCK", "\(r.text)")
            #expect(r.message.contains(product))
            #expect(try await env.footprint() == before)
            #expect(try await env.count(#"SELECT count(*) FROM "order""#) == 0)
            #expect(try await env.count("SELECT count(*) FROM outbox") == 0)
            #expect(await env.send(.GET, "/store/carts/\(id)").status == .ok)
        }
    }

    @Test("200 concurrent completes of 200 one-item carts on stock 50: 50 orders, 150 409s, stock 0, 50 movements")
    func flashSale() async throws {
        try await TestDatabase.with(seed: 30, redis: true) { env in
            let product = try await env.variantlessProduct(stock: 50)
            var carts: [String] = []
            for _ in 0..<200 { carts.append(try await Self.cart(env, product)) }
            let statuses = await withTaskGroup(of: (UInt, String?).self) { group in
                for cart in carts {
                    group.addTask {
                        let r = await env.send(.POST, "/store/carts/\(cart)/complete")
                        return (r.status.code, r.errorCode)
                    }
                }
                var out: [(UInt, String?)] = []
                for await s in group { out.append(s) }
                return out
            }
            #expect(statuses.filter { $0.0 == 200 }.count == 50)
            #expect(statuses.filter { $0.0 == 409 && $0.1 == "INSUFFICIENT_STOCK" }.count == 150)
            #expect(try await env.count("SELECT stock FROM product WHERE id = $1", [product]) == 0)
            #expect(try await env.count("SELECT count(*) FROM inventory_movement WHERE product_id = $1", [product]) == 50)
            #expect(try await env.count(#"SELECT count(*) FROM "order""#) == 50)
            #expect(try await env.count("SELECT count(*) FROM outbox WHERE event = 'order.placed'") == 50)
        }
    }

    @Test("20 concurrent completes of one cart: one order and 20 identical answers")
    func idempotent() async throws {
        try await TestDatabase.with(seed: 30, redis: true) { env in
            let product = try await env.variantlessProduct(stock: 100)
            let id = try await Self.cart(env, product, quantity: 2)
            let answers = await withTaskGroup(of: String.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        let r = await env.send(.POST, "/store/carts/\(id)/complete")
                        return "\(r.status.code) \(r.text)"
                    }
                }
                var out: [String] = []
                for await a in group { out.append(a) }
                return out
            }
            #expect(Set(answers).count == 1, "\(Set(answers))")
            #expect(answers.first?.hasPrefix("200 ") == true)
            #expect(try await env.count(#"SELECT count(*) FROM "order""#) == 1)
            #expect(try await env.count("SELECT stock FROM product WHERE id = $1", [product]) == 98)
            #expect(try await env.count("SELECT count(*) FROM inventory_movement WHERE product_id = $1", [product]) == 1)
        }
    }

    @Test("Idempotency-Key: a repeat answers the first order; the key on another cart is 409")
    func idempotencyKey() async throws {
        try await TestDatabase.with(seed: 30, redis: true) { env in
            let product = try await env.variantlessProduct(stock: 100)
            let first = try await Self.cart(env, product)
            let other = try await Self.cart(env, product)
            let key = [("Idempotency-Key", "checkout-7f3a")]
            let a = await env.send(.POST, "/store/carts/\(first)/complete", headers: key)
            let b = await env.send(.POST, "/store/carts/\(first)/complete", headers: key)
            #expect(a.status == .ok && a.text == b.text)
            let c = await env.send(.POST, "/store/carts/\(other)/complete", headers: key)
            #expect(c.status == .conflict && c.errorCode == "IDEMPOTENCY_KEY_REUSED", "\(c.text)")
            let bad = await env.send(.POST, "/store/carts/\(other)/complete", headers: [("Idempotency-Key", String(repeating: "k", count: 300))])
            #expect(bad.status == .badRequest && bad.message.contains("Idempotency-Key"))
            #expect(try await env.count(#"SELECT count(*) FROM "order""#) == 1)
        }
    }

    @Test("status: the documented path, cancellation restores stock in the same transaction, every invalid move is 409")
    func statusTransitions() async throws {
        try await TestDatabase.with(seed: 30, redis: true) { env in
            let product = try await env.variantlessProduct(stock: 10)
            func place() async throws -> String {
                let cart = try await Self.cart(env, product, quantity: 2)
                return await env.send(.POST, "/store/carts/\(cart)/complete").object("order")["id"] as! String
            }
            func move(_ id: String, _ status: String) async -> TestResponse {
                await env.send(.POST, "/admin/orders/\(id)/status", body: #"{"status":"\#(status)"}"#)
            }
            let delivered = try await place()
            for status in ["processing", "shipped", "delivered"] {
                let r = await move(delivered, status)
                #expect(r.status == .ok && r.object("order")["status"] as? String == status, "\(r.text)")
            }
            let cancelled = try await place()
            #expect(try await env.count("SELECT stock FROM product WHERE id = $1", [product]) == 6)
            #expect(await move(cancelled, "cancelled").status == .ok)
            #expect(try await env.count("SELECT stock FROM product WHERE id = $1", [product]) == 8)
            #expect(try await env.count("SELECT quantity_change FROM inventory_movement WHERE order_id = $1 AND reason = 'order_cancelled'", [cancelled]) == 2)
            let shipped = try await place()
            _ = await move(shipped, "processing")
            _ = await move(shipped, "shipped")
            let pending = try await place()

            let states = ["pending": pending, "shipped": shipped, "delivered": delivered, "cancelled": cancelled]
            let allowed: Set<String> = ["pending>processing", "pending>cancelled", "shipped>delivered"]
            for (from, id) in states {
                for to in ["pending", "processing", "shipped", "delivered", "cancelled"] where !allowed.contains("\(from)>\(to)") {
                    let before = try await env.footprint()
                    let outbox = try await env.count("SELECT count(*) FROM outbox")
                    let r = await move(id, to)
                    #expect(r.status == .conflict && r.errorCode == "INVALID_STATUS_TRANSITION", "\(from)>\(to): \(r.text)")
                    #expect(r.message == "Invalid status transition from \(from) to \(to)")
                    #expect(try await env.footprint() == before)
                    #expect(try await env.count("SELECT count(*) FROM outbox") == outbox)
                }
            }
            #expect(await move(pending, "lost").status == .badRequest)
            #expect(await move("order_nope", "processing").status == .notFound)
            #expect(try await env.count("SELECT count(*) FROM outbox WHERE event = 'order.updated'") == 6)
        }
    }
}
