import CatalogCacheCore
import CatalogCacheProxy
import CatalogTestSupport
import Foundation
import Testing

/// Seed 001: an origin outage should page no one. With the shipped routes unchanged, a dead
/// origin gets every cached route a stale answer, not a 502, inside its stale-if-error window.
@Suite(.enabled(if: TestServices.enabled), .serialized)
struct ShippedStaleIfErrorTests {
    @Test func everyShippedRouteHasAStaleIfErrorWindowFittingItsTTL() throws {
        let shipped = try ConfigurationLoader.load(path: TestServices.packageRoot.appendingPathComponent("config/catalog-cache.yaml").path)
        for route in shipped.routes {
            #expect(route.staleIfError > route.staleWhileRevalidate, "\(route.name)")
            #expect(route.staleIfError >= 5 * route.ttl && route.staleIfError <= 86_400, "\(route.name): ttl \(route.ttl), stale_if_error \(route.staleIfError)")
            #expect(route.cacheControlHeader.contains("stale-if-error=\(route.staleIfError)"))
        }
    }

    @Test func aDeadOriginYieldsStaleAnswersOnEveryShippedRouteNot502() async throws {
        try await withStack(triggers: false) { stack in
            let clock = ManualClock(milliseconds: SystemClock().nowMilliseconds())
            let configuration = try stack.configuration(feed: false)
            let proxy = try await stack.startProxy(configuration, clock: clock)
            let id = try #require(try await stack.sql("SELECT id FROM product WHERE status = 'published' ORDER BY id LIMIT 1").scalar)
            let region = try #require(try await stack.sql("SELECT id FROM region ORDER BY id LIMIT 1").scalar)
            let collection = try #require(try await stack.sql("SELECT id FROM product_collection ORDER BY id LIMIT 1").scalar)
            let category = try #require(try await stack.sql("SELECT id FROM product_category ORDER BY id LIMIT 1").scalar)
            let pathOf = [
                "hero_banners": "/store/hero-banners", "products": "/store/products?limit=3", "product": "/store/products/\(id)",
                "regions": "/store/regions", "collections": "/store/collections", "product_categories": "/store/product-categories",
                "region": "/store/regions/\(region)", "collection": "/store/collections/\(collection)",
                "product_category": "/store/product-categories/\(category)",
            ]
            #expect(Set(pathOf.keys) == Set(configuration.routes.map(\.name)), "a shipped route is not covered")
            var bodies: [String: String] = [:]
            for route in configuration.routes {
                let path = try #require(pathOf[route.name])
                let r = try await proxy.get(path)
                #expect(r.head.status == .ok && r.xCache == "MISS", "\(path)")
                bodies[route.name] = r.text
            }
            try await stack.origin.shutdown()
            let started = clock.nowMilliseconds()
            // Each route just past ttl + stale-while-revalidate (the request must go to the dead
            // origin), in order of that bound so time only moves forward.
            for route in configuration.routes.sorted(by: { $0.ttl + $0.staleWhileRevalidate < $1.ttl + $1.staleWhileRevalidate }) {
                clock.set(milliseconds: max(clock.nowMilliseconds(), started + Int64(route.ttl + route.staleWhileRevalidate) * 1000 + 1000))
                let path = try #require(pathOf[route.name])
                let r = try await proxy.get(path)
                #expect(r.head.status == .ok, "\(path): \(r.head.status.code) \(r.text.prefix(200))")
                #expect(r.xCache == "STALE", "\(path)")
                #expect(r.text == bodies[route.name], "\(path)")
                #expect(r.header("cache-status")?.contains("detail=stale-if-error") == true, "\(path)")
            }
            // Past every window: the outage shows.
            clock.advance(bySeconds: 200_000)
            #expect(try await proxy.get("/store/regions").head.status == .badGateway)
        }
    }
}
