import CatalogOrigin
import CatalogRedis
import Foundation
import Testing

@Suite("Outbox relay to the Redis Stream", .enabled(if: TestDatabase.enabled))
struct OutboxRelayTests {
    struct SimulatedCrash: Error {}

    static func placeOrders(_ env: OriginTestEnvironment, count: Int) async throws -> [String] {
        let product = try await env.variantlessProduct(stock: 1000)
        var ids: [String] = []
        for _ in 0..<count {
            let cart = try await CheckoutTests.cart(env, product)
            ids.append(try #require(await env.send(.POST, "/store/carts/\(cart)/complete").object("order")["id"] as? String))
        }
        return ids
    }

    static func outboxEvents(_ env: OriginTestEnvironment) async throws -> [[String: String]] {
        try await env.events().filter { $0.fields["outbox_id"] != nil }.map(\.fields)
    }

    @Test("per order, events reach the stream in commit order, each row marked once published")
    func order() async throws {
        try await TestDatabase.with(seed: 20, redis: true) { env in
            let orders = try await Self.placeOrders(env, count: 3)
            for status in ["processing", "shipped"] {
                _ = await env.send(.POST, "/admin/orders/\(orders[1])/status", body: #"{"status":"\#(status)"}"#)
            }
            let relay = OutboxRelay(pool: env.pool, redis: env.storefront.redis!, configuration: env.storefront, batchSize: 2)
            var published = 0
            while case let n = try await relay.runOnce(), n > 0 { published += n }
            #expect(published == 5)
            #expect(try await env.count("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0)
            let events = try await Self.outboxEvents(env)
            #expect(events.map { Int($0["outbox_id"]!)! } == Array(1...5))
            let second = events.filter { $0["aggregate_id"] == orders[1] }
            #expect(second.map { $0["type"]! } == ["order.placed", "order.updated", "order.updated"])
            #expect(second.last?["payload"]?.contains(#""to":"shipped""#) == true)
        }
    }

    @Test("a relay killed between publishing and marking loses nothing: the next one publishes again")
    func crashBetweenPublishAndMark() async throws {
        try await TestDatabase.with(seed: 20, redis: true) { env in
            let orders = try await Self.placeOrders(env, count: 4)
            let crashing = OutboxRelay(pool: env.pool, redis: env.storefront.redis!, configuration: env.storefront,
                                       afterPublish: { _ in throw SimulatedCrash() })
            await #expect(throws: SimulatedCrash.self) { try await crashing.runOnce() }
            #expect(try await Self.outboxEvents(env).count == 4, "published before the crash")
            #expect(try await env.count("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 4, "but not marked")

            let relay = OutboxRelay(pool: env.pool, redis: env.storefront.redis!, configuration: env.storefront)
            #expect(try await relay.runOnce() == 4)
            #expect(try await relay.runOnce() == 0)
            #expect(try await env.count("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0)
            let events = try await Self.outboxEvents(env)
            #expect(events.count == 8, "at least once: the crashed batch appears twice")
            for order in orders {
                #expect(events.contains { $0["aggregate_id"] == order && $0["type"] == "order.placed" }, "\(order)")
            }
        }
    }

    @Test("the background relay publishes a checkout promptly after start, and stops cleanly")
    func background() async throws {
        try await TestDatabase.with(seed: 20, redis: true) { env in
            let relay = OutboxRelay(pool: env.pool, redis: env.storefront.redis!, configuration: env.storefront,
                                    pollInterval: .milliseconds(50))
            relay.start()
            let orders = try await Self.placeOrders(env, count: 2)
            var published = 0
            for _ in 0..<200 where published < 2 {
                published = try await Self.outboxEvents(env).count
                try await Task.sleep(for: .milliseconds(25))
            }
            await relay.stop()
            #expect(published == 2)
            #expect(Set(try await Self.outboxEvents(env).compactMap { $0["aggregate_id"] }) == Set(orders))
        }
    }
}
