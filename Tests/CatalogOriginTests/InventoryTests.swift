import CatalogHTTP
import Foundation
import Testing

@Suite("Admin: inventory adjustments", .enabled(if: TestDatabase.enabled))
struct InventoryTests {
    static func product(_ env: OriginTestEnvironment, stock: Int) async throws -> String {
        let id = try await env.scalar("SELECT id FROM product ORDER BY id LIMIT 1")!
        try await env.pool.query("UPDATE product SET stock = $1 WHERE id = $2", [String(stock), id])
        return id
    }

    @Test("a decrement updates stock and records a movement in the same answer")
    func decrement() async throws {
        try await TestDatabase.with(seed: 5) { env in
            let id = try await Self.product(env, stock: 10)
            let r = await env.send(.POST, "/admin/products/\(id)/inventory", body: #"{"delta":-3,"reason":"sale"}"#)
            #expect(r.status == .ok, "\(r.text)")
            #expect(r.object("product")["inventory_quantity"] as? Int == 7)
            #expect(r.object("inventory_movement")["quantity_change"] as? Int == -3)
            #expect(r.object("inventory_movement")["reason"] as? String == "sale")
            let up = await env.send(.POST, "/admin/products/\(id)/inventory", body: #"{"delta":5}"#)
            #expect(up.object("product")["inventory_quantity"] as? Int == 12)
            #expect(try await env.count("SELECT stock FROM product WHERE id = $1", [id]) == 12)
            #expect(try await env.count("SELECT count(*) FROM inventory_movement WHERE product_id = $1", [id]) == 2)
        }
    }

    @Test("insufficient stock is 409 and unknown product 404, both writing nothing")
    func refusals() async throws {
        try await TestDatabase.with(seed: 5) { env in
            let id = try await Self.product(env, stock: 2)
            let before = try await env.footprint()
            let short = await env.send(.POST, "/admin/products/\(id)/inventory", body: #"{"delta":-3}"#)
            #expect(short.status == .conflict && short.errorCode == "insufficient_stock")
            let missing = await env.send(.POST, "/admin/products/prod_nope/inventory", body: #"{"delta":-1}"#)
            #expect(missing.status == .notFound && missing.errorCode == "not_found")
            for (body, field) in [(#"{"delta":0}"#, "delta"), (#"{}"#, "delta"), (#"{"delta":"1"}"#, "delta"),
                                  (#"{"delta":-1,"reason":7}"#, "reason"), (#"{"delta":-1,"why":"x"}"#, "why")] {
                let r = await env.send(.POST, "/admin/products/\(id)/inventory", body: body)
                #expect(r.status == .badRequest && r.message.contains(field), "\(body): \(r.text)")
            }
            #expect(try await env.footprint() == before)
        }
    }

    @Test("30 concurrent -1 on stock 10: exactly 10 succeed, 20 get 409, 10 movements, stock 0")
    func concurrentDecrements() async throws {
        try await TestDatabase.with(seed: 5) { env in
            let id = try await Self.product(env, stock: 10)
            let statuses = await withTaskGroup(of: UInt.self) { group in
                for _ in 0..<30 {
                    group.addTask {
                        await env.send(.POST, "/admin/products/\(id)/inventory", body: #"{"delta":-1,"reason":"sale"}"#).status.code
                    }
                }
                var out: [UInt] = []
                for await s in group { out.append(s) }
                return out
            }
            #expect(statuses.filter { $0 == 200 }.count == 10)
            #expect(statuses.filter { $0 == 409 }.count == 20)
            #expect(try await env.count("SELECT stock FROM product WHERE id = $1", [id]) == 0)
            #expect(try await env.count("SELECT count(*) FROM inventory_movement WHERE product_id = $1", [id]) == 10)
            #expect(try await env.count("SELECT sum(quantity_change) FROM inventory_movement WHERE product_id = $1", [id]) == -10)
        }
    }
}
