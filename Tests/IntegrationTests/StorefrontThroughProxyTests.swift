import CatalogCacheProxy
import CatalogHTTP
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// Carts, checkout and orders of the reference origin, through catalog-cache with the shipped
/// configuration, against real PostgreSQL and Redis.
@Suite(.enabled(if: TestServices.enabled), .serialized)
struct StorefrontThroughProxyTests {
    static func json(_ response: UpstreamResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(response.text.utf8))) as? [String: Any] ?? [:]
    }

    static func variantlessProduct(_ stack: Stack, stock: Int) async throws -> String {
        let id = try #require(try await stack.sql("""
            SELECT id FROM product p WHERE status = 'published'
              AND NOT EXISTS (SELECT 1 FROM product_variant v WHERE v.product_id = p.id) ORDER BY id LIMIT 1
            """).scalar)
        _ = try await stack.sql("UPDATE product SET stock = $1 WHERE id = $2", [String(stock), id])
        return id
    }

    /// Creates a cart through `proxy`, adds one of `product`, answers the cart id.
    static func cart(_ proxy: RunningProxy, _ product: String) async throws -> String {
        let created = try await proxy.request(.POST, "/store/carts")
        let id = try #require((json(created)["cart"] as? [String: Any])?["id"] as? String, "\(created.text)")
        let added = try await proxy.request(.POST, "/store/carts/\(id)/line-items", body: #"{"variant_id":"\#(product)","quantity":1}"#)
        #expect(added.head.status == .ok, "\(added.text)")
        return id
    }

    @Test func cartsAndOrdersAreNeverCached() async throws {
        try await withStack(triggers: true) { stack in
            let proxy = try await stack.startProxy(try stack.configuration())
            let product = try await Self.variantlessProduct(stack, stock: 10)
            let id = try await Self.cart(proxy, product)
            var seen: [String?] = []
            for _ in 0..<3 {
                let cart = try await proxy.get("/store/carts/\(id)")
                #expect(cart.head.status == .ok)
                seen.append(cart.xCache)
            }
            let complete = try await proxy.request(.POST, "/store/carts/\(id)/complete")
            #expect(complete.head.status == .ok, "\(complete.text)")
            let order = try #require((Self.json(complete)["order"] as? [String: Any])?["id"] as? String)
            for _ in 0..<3 {
                let r = try await proxy.get("/store/orders/\(order)")
                #expect(r.head.status == .ok)
                seen.append(r.xCache)
                // A cart answered after checkout: gone, never a stored copy.
                #expect(try await proxy.get("/store/carts/\(id)").head.status == .notFound)
            }
            #expect(seen.allSatisfy { $0 == "BYPASS" }, "\(seen)")
            let keys = try await stack.redisKeys().filter { !$0.contains(":tag:") && !$0.contains(":gen:") }
            #expect(!keys.contains { $0.contains("cart") || $0.contains("order") }, "\(keys)")
        }
    }

    /// The feed is slowed down on purpose, so only the proxy's write barrier can make the next
    /// read fresh.
    @Test func aCheckoutsStockChangeReachesTheProductsCachedEntriesAtOnce() async throws {
        try await withStack(triggers: true) { stack in
            var configuration = try stack.configuration()
            configuration.feedApplyDelayMillisecondsForTesting = 150
            let proxy = try await stack.startProxy(configuration)
            let product = try await Self.variantlessProduct(stack, stock: 10)
            let detail = "/store/products/\(product)"
            let list = "/store/products?id=\(product)"
            for stock in stride(from: 9, through: 6, by: -1) {
                _ = try await proxy.get(list)
                // Cached (the product's own creation may still be on its way through the slowed feed).
                #expect(try await eventually { try await proxy.get(detail).xCache == "HIT" })
                let cart = try await Self.cart(proxy, product)
                let complete = try await proxy.request(.POST, "/store/carts/\(cart)/complete")
                #expect(complete.head.status == .ok, "\(complete.text)")
                let page = Self.json(try await proxy.get(detail))["product"] as? [String: Any]
                #expect(page?["inventory_quantity"] as? Int == stock, "detail after checkout \(10 - stock)")
                let listed = (Self.json(try await proxy.get(list))["products"] as? [[String: Any]])?.first
                #expect(listed?["inventory_quantity"] as? Int == stock, "list after checkout \(10 - stock)")
            }
        }
    }
}
