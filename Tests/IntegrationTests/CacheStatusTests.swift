import CatalogCacheCore
import CatalogCacheProxy
import CatalogHTTP
import CatalogTestSupport
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// `Cache-Status` (RFC 9211) beside `X-Cache`, one outcome at a time, through a real proxy in
/// front of a counting upstream. Time is a `ManualClock`; no timing is asserted.
@Suite(.enabled(if: TestServices.enabled), .serialized)
struct CacheStatusTests {
    func start(_ stack: Stack, hotTier: Bool = false, name: String? = nil, staleIfError: Int = 0, clock: ManualClock) async throws -> (RunningProxy, GatedUpstream, HTTPServer) {
        let gated = GatedUpstream()
        gated.open()
        let upstream = try await HTTPServer.start(host: "127.0.0.1", port: 0, group: TestServices.group, responder: gated)
        var configuration = try stack.configuration(feed: false, upstreamPort: upstream.localPort)
        if let name { configuration.cacheStatusName = name }
        if hotTier { configuration.hotTierBytes = 8 << 20 }
        let r = configuration.routes[0]
        configuration.routes[0] = try RouteRule(
            name: r.name, pattern: r.pattern, keyTemplate: r.keyTemplate, ttl: r.ttl, staleWhileRevalidate: r.staleWhileRevalidate,
            staleIfError: staleIfError, varyHeaders: r.varyHeaders, tags: r.tags, cacheableStatuses: r.cacheableStatuses,
            isPublic: r.isPublic, cacheControl: r.cacheControl)
        return (try await stack.startProxy(configuration, clock: clock), gated, upstream)
    }

    @Test func missHitStaleAndRefetchOfAnExpiredEntryEachSayWhatHappened() async throws {
        try await withStack(triggers: false) { stack in
            let clock = ManualClock(milliseconds: SystemClock().nowMilliseconds())
            let (proxy, _, upstream) = try await start(stack, clock: clock)
            let miss = try await proxy.get("/store/hero-banners")
            #expect(miss.xCache == "MISS")
            #expect(miss.header("cache-status") == "catalog-cache; fwd=miss; fwd-status=200; stored")
            let hit = try await proxy.get("/store/hero-banners")
            #expect(hit.xCache == "HIT")
            #expect(hit.header("cache-status") == "catalog-cache; hit")
            // A conditional hit (304) says the same.
            let etag = try #require(hit.header("etag"))
            let notModified = try await proxy.get("/store/hero-banners", [("If-None-Match", etag)])
            #expect(notModified.head.status == .notModified)
            #expect(notModified.header("cache-status") == "catalog-cache; hit")
            clock.advance(bySeconds: 310)  // ttl 300: 10 s into stale-while-revalidate
            let stale = try await proxy.get("/store/hero-banners")
            #expect(stale.xCache == "STALE")
            #expect(stale.header("cache-status") == "catalog-cache; hit; ttl=-10")
            #expect(try await eventually { try await proxy.get("/store/hero-banners").xCache == "HIT" })
            clock.advance(bySeconds: 2000)  // past ttl + stale-while-revalidate: expired, refetched
            let refetched = try await proxy.get("/store/hero-banners")
            #expect(refetched.xCache == "MISS")
            #expect(refetched.header("cache-status") == "catalog-cache; fwd=stale; fwd-status=200; stored")
            try await upstream.shutdown()
        }
    }

    @Test func staleIfErrorAndAFailedFillAreTold() async throws {
        try await withStack(triggers: false) { stack in
            let clock = ManualClock(milliseconds: SystemClock().nowMilliseconds())
            let (proxy, _, upstream) = try await start(stack, staleIfError: 3600, clock: clock)
            _ = try await proxy.get("/store/hero-banners")
            try await upstream.shutdown()
            clock.advance(bySeconds: 1000)  // past ttl + swr (900), inside stale-if-error
            let stale = try await proxy.get("/store/hero-banners")
            #expect(stale.head.status == .ok && stale.xCache == "STALE")
            #expect(stale.header("cache-status") == "catalog-cache; fwd=stale; ttl=-700; detail=stale-if-error")
            let cold = try await proxy.get("/store/products/prod_nope")
            #expect(cold.head.status == .badGateway)
            #expect(cold.xCache == "MISS")
            #expect(cold.header("cache-status") == "catalog-cache; fwd=miss; detail=upstream-unavailable")
        }
    }

    @Test func bypassedRequestsAppendToTheUpstreamsCacheStatus() async throws {
        try await withStack(triggers: false) { stack in
            var configuration = try stack.configuration(feed: false)
            configuration.cacheStatusName = "edge cache"
            let proxy = try await stack.startProxy(configuration)
            let authorized = try await proxy.get("/store/hero-banners", [("Authorization", "Bearer x")])
            #expect(authorized.xCache == "BYPASS")
            #expect(authorized.header("cache-status") == "\"edge cache\"; fwd=bypass; fwd-status=200")
            let cart = try await proxy.get("/store/carts/nope")
            #expect(cart.xCache == "BYPASS")
            #expect(cart.header("cache-status") == "\"edge cache\"; fwd=bypass; fwd-status=\(cart.head.status.code)")
            let miss = try await proxy.get("/store/regions")
            #expect(miss.header("cache-status") == "\"edge cache\"; fwd=miss; fwd-status=200; stored")
            #expect(try await proxy.get("/store/regions").header("cache-status") == "\"edge cache\"; hit")
        }
    }

    @Test func hotTierHitsAndCoalescedWaitersCarryIt() async throws {
        try await withStack(triggers: false) { stack in
            let clock = ManualClock(milliseconds: SystemClock().nowMilliseconds())
            let gated = GatedUpstream()
            let upstream = try await HTTPServer.start(host: "127.0.0.1", port: 0, group: TestServices.group, responder: gated)
            var configuration = try stack.configuration(feed: false, upstreamPort: upstream.localPort)
            configuration.hotTierBytes = 8 << 20
            configuration.cacheStatusName = "shop-edge"
            let proxy = try await stack.startProxy(configuration, clock: clock)
            let waiters = Task {
                try await withThrowingTaskGroup(of: UpstreamResponse.self) { group in
                    for _ in 0..<20 { group.addTask { try await proxy.get("/store/hero-banners") } }
                    var out: [UpstreamResponse] = []
                    for try await r in group { out.append(r) }
                    return out
                }
            }
            #expect(await eventually { gated.received == 1 })
            try await Task.sleep(for: .milliseconds(200))  // let the others join the flight
            gated.open()
            let responses = try await waiters.value
            let statuses = responses.compactMap { $0.header("cache-status") }
            #expect(statuses.count == 20)
            #expect(statuses.filter { $0 == "shop-edge; fwd=miss; fwd-status=200; stored" }.count == 1)
            #expect(statuses.allSatisfy { ["shop-edge; fwd=miss; fwd-status=200; stored", "shop-edge; fwd=miss; collapsed", "shop-edge; hit"].contains($0) })
            for _ in 0..<3 {
                let hit = try await proxy.get("/store/hero-banners", [("Accept-Encoding", "gzip")])
                #expect(hit.xCache == "HIT" && hit.header("cache-status") == "shop-edge; hit")
            }
            #expect(proxy.metrics.hotTierHits.count > 0)
            try await upstream.shutdown()
        }
    }
}
