import CatalogCacheCore
import CatalogCompression
import CatalogHTTP
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// The proxy's serve path against real Redis, PostgreSQL and the reference origin.
@Suite(.enabled(if: TestServices.enabled), .serialized)
struct ServePathTests {
    @Test func missThenHitWithTheContractHeadersAndTheNamedKey() async throws {
        try await withStack(triggers: false) { stack in
            let proxy = try await stack.startProxy(try stack.configuration(feed: false))

            let direct = try await stack.originClient.execute(UpstreamRequest(method: .GET, uri: "/store/hero-banners"), on: TestServices.group.next()).get()
            let first = try await proxy.get("/store/hero-banners")
            let second = try await proxy.get("/store/hero-banners")
            #expect(first.head.status == .ok)
            #expect(first.xCache == "MISS")
            #expect(second.xCache == "HIT")
            #expect(first.text == direct.text)
            #expect(second.text == direct.text)
            #expect(second.header("cache-control") == "public, max-age=300, stale-while-revalidate=600, stale-if-error=1800")
            #expect(second.header("vary") == "Accept-Encoding")
            #expect(second.header("etag") == first.header("etag"))
            #expect(second.header("etag")?.hasPrefix("\"") == true)
            #expect(Int(second.header("age") ?? "") != nil)
            #expect(second.header("surrogate-key") == "hero_banners")
            #expect(try await stack.redisKeys().contains("\(stack.keyPrefix)hero_banners:active"))
            #expect(proxy.metrics.requestCount(route: "hero_banners", outcome: .miss) == 1)
            #expect(proxy.metrics.requestCount(route: "hero_banners", outcome: .hit) == 1)
            #expect(proxy.metrics.entriesStored.count == 1)
        }
    }

    @Test func productListKeysHashTheNormalisedQueryAndVaryHeaders() async throws {
        try await withStack(triggers: false) { stack in
            let proxy = try await stack.startProxy(try stack.configuration(feed: false))

            let a = try await proxy.get("/store/products?limit=5&order=-price")
            let b = try await proxy.get("/store/products?order=-price&limit=5")
            let c = try await proxy.get("/store/products?order=-price&limit=5", [("x-publishable-api-key", "pk_other")])
            let d = try await proxy.get("/store/products?order=price&limit=5")
            #expect([a.xCache, b.xCache, c.xCache, d.xCache] == ["MISS", "HIT", "MISS", "MISS"])
            #expect(a.text == b.text)
            #expect(a.text != d.text)
            #expect(c.header("vary") == "Accept-Encoding, X-Publishable-Api-Key")
            let keys = try await stack.redisKeys().filter { $0.hasPrefix("\(stack.keyPrefix)products:") }
            #expect(keys.count == 3)
            for key in keys {
                let hash = key.dropFirst("\(stack.keyPrefix)products:".count)
                #expect(hash.count == 32 && hash.allSatisfy(\.isHexDigit), "key \(key)")
        }
        let products = try #require(a.json?["products"] as? [[String: Any]])
        #expect(products.count == 5)
        }
    }

    /// Without a hot tier, an identity client of a gzip entry inflates it once (on the miss); later identity
    /// clients read only the gzip entry from Redis and take its identity body from the
    /// in-process cache keyed by the entry's ETag. A body kept for an entry since invalidated
    /// is never served: the refilled entry has another ETag.
    @Test func identityClientsInflateOnceAndNeverGetAnOlderBody() async throws {
        try await withStack(triggers: true) { stack in
            let proxy = try await stack.startProxy(try stack.configuration())
            let path = "/store/products?limit=20&order=title"
            let miss = try await proxy.get(path)
            #expect(miss.xCache == "MISS")
            let afterMiss = proxy.metrics.inflatesPerRequest.count
            let first = try await proxy.get(path)
            #expect(first.xCache == "HIT")
            #expect(proxy.metrics.inflatesPerRequest.count == afterMiss)
            #expect(first.text == miss.text)
            for _ in 0..<3 {
                let again = try await proxy.get(path)
                #expect(again.xCache == "HIT")
                #expect(again.text == miss.text)
                #expect(again.header("content-length") == String(miss.body.readableBytes))
            }
            #expect(proxy.metrics.inflatesPerRequest.count == afterMiss)
            #expect(afterMiss == 1, "the miss inflated the stored entry once for its identity client")
            #expect(try await !stack.redisKeys().contains { $0.hasPrefix(stack.keyPrefix + "identity:") }, "nothing but the entry is kept in Redis")

            // Rename the list's first product, keeping the body's length (so only the ETag
            // tells the two bodies apart): the entry goes, the old body stays in the process's
            // cache, and must not be served with the refilled entry.
            let id = try #require(try await stack.sql("SELECT id FROM product WHERE status = 'published' ORDER BY title, id LIMIT 1").scalar)
            let renamed = try #require(try await stack.sql("UPDATE product SET title = '0' || substr(title, 2) WHERE id = $1 RETURNING title", [id]).scalar)
            #expect(await eventually { (try? await proxy.get(path).text.contains(renamed)) == true })
            let afterRename = proxy.metrics.inflatesPerRequest.count
            for _ in 0..<3 {
                let hit = try await proxy.get(path)
                #expect(hit.text.contains(renamed))
                #expect(hit.body.readableBytes == miss.body.readableBytes)
            }
            #expect(proxy.metrics.inflatesPerRequest.count == afterRename)
        }
    }

    @Test func largeBodiesAreStoredGzipAndServedPerAcceptEncoding() async throws {
        try await withStack(triggers: false) { stack in
            let proxy = try await stack.startProxy(try stack.configuration(feed: false))

            let identityMiss = try await proxy.get("/store/products?limit=20")
            #expect(identityMiss.body.readableBytes >= 2048)
            let gzipHit = try await proxy.get("/store/products?limit=20", [("Accept-Encoding", "gzip")])
            let identityHit = try await proxy.get("/store/products?limit=20")
            #expect(gzipHit.xCache == "HIT")
            #expect(gzipHit.header("content-encoding") == "gzip")
            #expect(gzipHit.body.readableBytes < identityHit.body.readableBytes)
            let inflated = try gzipHit.body.withUnsafeReadableBytes { try Gzip.decompress($0, maxOutput: 1 << 22) }
            #expect(inflated == Array(identityHit.body.readableBytesView))
            #expect(identityHit.header("content-encoding") == nil)
            #expect(identityHit.text == identityMiss.text)
            #expect(gzipHit.header("etag") != identityHit.header("etag"))
            #expect(proxy.metrics.bytesSavedByCompression.count > 0)

            // 304 for each representation's own validator.
            let notModified = try await proxy.get("/store/products?limit=20", [("Accept-Encoding", "gzip"), ("If-None-Match", gzipHit.header("etag")!)])
            #expect(notModified.head.status == .notModified)
            #expect(notModified.body.readableBytes == 0)
            let crossed = try await proxy.get("/store/products?limit=20", [("If-None-Match", gzipHit.header("etag")!)])
            #expect(crossed.head.status == .ok)
        }
    }

    @Test func personalisedPrivateAndNonStoreTrafficIsNeverStored() async throws {
        try await withStack(triggers: false) { stack in
            let proxy = try await stack.startProxy(try stack.configuration(feed: false))

            let withAuth = try await proxy.get("/store/products?limit=3", [("Authorization", "Bearer x")])
            let withCookie = try await proxy.get("/store/products?limit=3", [("Cookie", "session=1")])
            let carts = try await proxy.get("/store/carts/cart_1")
            let admin = try await proxy.get("/admin/hero-banners")
            let dotted = try await proxy.get("/store/../admin/hero-banners")
            let missing = try await proxy.get("/store/products/prod_does_not_exist")
            let missingAgain = try await proxy.get("/store/products/prod_does_not_exist")
            #expect(withAuth.xCache == "BYPASS")
            #expect(withCookie.xCache == "BYPASS")
            #expect(carts.xCache == "BYPASS")
            #expect(admin.xCache == "BYPASS")
            #expect(dotted.xCache == "BYPASS")
            #expect(missing.head.status == .notFound)
            #expect(missingAgain.xCache == "MISS")
            #expect(try await stack.redisKeys().filter { !$0.contains(":tag:") && !$0.contains(":gen:") }.isEmpty)
            #expect(proxy.metrics.requestCount(outcome: .bypass) == 5)
            // Each pass counted under the reason the request state machine gave it.
            #expect(proxy.metrics.bypassReasons.snapshot == ["authorization": 1, "cookie": 1, "notCacheableRoute": 3])
            #expect(proxy.metrics.entriesStored.count == 0)
        }
    }

    @Test func aWriteReachesTheOriginExactlyOnce() async throws {
        try await withStack(triggers: false) { stack in
            let proxy = try await stack.startProxy(try stack.configuration(feed: false))

            let id = try #require(try await stack.sql("SELECT id FROM product WHERE stock > 5 ORDER BY id LIMIT 1").scalar)
            let before = try #require(Int(try await stack.sql("SELECT count(*) FROM inventory_movement WHERE product_id = $1", [id]).scalar ?? ""))
            let response = try await proxy.request(.POST, "/admin/products/\(id)/inventory", body: #"{"delta": -1, "reason": "sale"}"#)
            #expect(response.head.status == .ok)
            #expect(response.xCache == "BYPASS")
            let after = try #require(Int(try await stack.sql("SELECT count(*) FROM inventory_movement WHERE product_id = $1", [id]).scalar ?? ""))
            #expect(after == before + 1)
        }
    }

    @Test func aDeadUpstreamGivesJSON502AndNoHang() async throws {
        try await withStack(triggers: false) { stack in
            let proxy = try await stack.startProxy(try stack.configuration(feed: false, upstreamPort: 1))

            let miss = try await proxy.get("/store/hero-banners")
            let write = try await proxy.request(.POST, "/admin/hero-banners", body: "{}")
            #expect(miss.head.status == .badGateway)
            #expect(write.head.status == .badGateway)
            #expect(miss.text.hasPrefix("{\"error\":\"upstream_unavailable\""))
            #expect(miss.header("content-type") == "application/json; charset=utf-8")
        }
    }

    @Test func withoutRedisTheInProcessStoreServesHits() async throws {
        try await withStack(triggers: false) { stack in
            let proxy = try await stack.startProxy(try stack.configuration(feed: false, redis: false))

            #expect(try await proxy.get("/store/regions").xCache == "MISS")
            #expect(try await proxy.get("/store/regions").xCache == "HIT")
            #expect(try await stack.redisKeys().isEmpty)
            let ready = try await proxy.adminGet("/readyz")
            #expect(ready.head.status == .ok)
            #expect(ready.text.contains("\"kind\":\"memory\""))
            #expect(ready.text.contains("\"invalidation_feed\":\"disabled\""))
        }
    }

    @Test func concurrentMissesForOneKeyMakeOneUpstreamRequest() async throws {
        try await withStack(triggers: false) { stack in
            let proxy = try await stack.startProxy(try stack.configuration(feed: false))

            let statuses = try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<100 { group.addTask { try await proxy.get("/store/products?limit=7").xCache } }
                var out: [String?] = []
                for try await s in group { out.append(s) }
                return out
        }
        #expect(statuses.count == 100)
        let misses = proxy.metrics.requestCount(route: "products", outcome: .miss)
        let coalesced = proxy.metrics.requestCount(route: "products", outcome: .coalesced)
        let hits = proxy.metrics.requestCount(route: "products", outcome: .hit)
        #expect(misses == 1)
        #expect(misses + coalesced + hits == 100)
        #expect(proxy.metrics.upstreamLatency.snapshot.count == 1)
        }
    }

    @Test func adminPortServesMetricsHealthAndReadiness() async throws {
        try await withStack(triggers: false) { stack in
            let proxy = try await stack.startProxy(try stack.configuration(feed: false))
            _ = try await proxy.get("/store/hero-banners")
            let metrics = try await proxy.adminGet("/metrics")
            #expect(metrics.text.contains("catalog_cache_requests_total{route=\"hero_banners\",outcome=\"miss\"} 1"))
            #expect(try await proxy.adminGet("/healthz").head.status == .ok)
            let ready = try await proxy.adminGet("/readyz")
            #expect(ready.head.status == .ok)
            #expect(ready.text.contains("\"upstream\":\"up\""))
            #expect(ready.text.contains("\"kind\":\"redis\""))
            // Admin endpoints do not exist on the proxy port.
            let onProxy = try await proxy.get("/metrics")
            #expect(onProxy.text.contains("catalog_cache_requests_total") == false)
        }
    }

    @Test func aDeadRedisFailsOpenToTheUpstreamAndIsReportedNotReady() async throws {
        try await withStack(triggers: false) { stack in
            var configuration = try stack.configuration(feed: false)
            configuration.redisURL = "redis://127.0.0.1:1"
            configuration.redisTimeoutMilliseconds = 200
            let proxy = try await stack.startProxy(configuration)
            for _ in 0..<3 {
                let r = try await proxy.get("/store/hero-banners")
                #expect(r.head.status == .ok)
                #expect(r.xCache == "MISS")
                #expect(r.text.contains("hero_banners"))
            }
            #expect(proxy.metrics.redisErrors.count >= 3)
            let ready = try await proxy.adminGet("/readyz")
            #expect(ready.head.status == .serviceUnavailable)
            #expect(ready.text.contains("\"store\":{\"kind\":\"redis\",\"state\":\"down\"}"))
        }
    }
}
