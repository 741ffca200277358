import CatalogCacheCore
import CatalogCacheProxy
import CatalogTestSupport
import CatalogHTTP
import CatalogPostgres
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

/// A proxy at its bound of requests in progress sheds reads with 503 and `Retry-After`
/// instead of queueing them (and failing open to the origin once Redis calls time out);
/// hot-tier hits and writes still go through; the Redis circuit breaker is not involved.
///
/// The overload is made without any timing: the proxy has one event loop and a bound of one
/// request in progress, and one miss is held in progress by a lock on the origin's `product`
/// table (real PostgreSQL, real origin, real Redis).
@Suite(.enabled(if: TestServices.enabled), .serialized)
struct LoadSheddingTests {
    /// A PostgreSQL session holding `ACCESS EXCLUSIVE` on `product` until `release()`.
    final class TableLock: Sendable {
        private let connection: PostgresConnection

        init(databaseURL: String, table: String) async throws {
            connection = try await offThePool {
                let connection = try PostgresConnection(url: databaseURL)
                _ = try connection.execute("BEGIN")
                _ = try connection.execute("LOCK TABLE \(table) IN ACCESS EXCLUSIVE MODE")
                return connection
            }
        }

        func release() async throws {
            let connection = self.connection
            try await offThePool {
                _ = try connection.execute("COMMIT")
                connection.close()
            }
        }
    }

    @Test func readsOverTheBoundAreShedHotHitsAndWritesAreServed() async throws {
        try await withStack(products: 50, triggers: false) { stack in
            var configuration = try stack.configuration(feed: false)
            configuration.maxRequestsInProgressPerLoop = 1
            configuration.hotTierBytes = 1 << 20
            // The held miss waits for the test, however slow the machine, not for a timeout.
            configuration.upstreamReadTimeoutMilliseconds = 120_000
            configuration.upstreamTotalTimeoutMilliseconds = 240_000
            let loop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            var logger = Logger(label: "shed-test")
            logger.logLevel = .warning
            let service = try await ProxyService.start(configuration: configuration, group: loop, logger: logger)
            var clientConfiguration = UpstreamPoolConfiguration()
            clientConfiguration.maxConnectionsPerEventLoop = 16
            let client = UpstreamPool(endpoint: try UpstreamEndpoint.parse("http://127.0.0.1:\(service.proxyPort)"), configuration: clientConfiguration, group: TestServices.group)
            let admin = UpstreamPool(endpoint: try UpstreamEndpoint.parse("http://127.0.0.1:\(service.adminPort)"), configuration: UpstreamPoolConfiguration(), group: TestServices.group)
            let proxy = RunningProxy(service: service, client: client, admin: admin, adminToken: stack.adminToken)
            let metrics = proxy.metrics

            // A hot-tier entry: filled by a miss, then a hit from memory.
            #expect(try await proxy.get("/store/regions").xCache == "MISS")
            let hotHitsBefore = metrics.hotTierHits.count
            #expect(try await proxy.get("/store/regions").xCache == "HIT")
            #expect(metrics.hotTierHits.count == hotHitsBefore + 1, "the regions entry is not served from the hot tier")

            // One miss held in progress: the origin waits for the lock on `product`.
            let lock = try await TableLock(databaseURL: stack.databaseURL, table: "product")
            // With a bound of one, every request that finds none in progress starts an episode.
            let episodesBefore = metrics.overloadEpisodes.count
            let held = Task { try await proxy.get("/store/products?limit=5") }
            let waiting = await eventually(seconds: 30) {
                let result = try? await stack.sql("SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'", [stack.databaseName])
                return ((result?.scalar).flatMap { Int($0) } ?? 0) >= 1
            }
            #expect(waiting, "the origin never waited for the lock")
            let upstreamBefore = metrics.upstreamLatency.snapshot.count
            let missesBefore = metrics.requestCount(outcome: .miss)

            // Reads that need Redis or the origin: shed, none of them forwarded.
            let shedURIs = ["/store/collections", "/store/product-categories", "/store/hero-banners"]
            for uri in shedURIs {
                let response = try await proxy.get(uri)
                #expect(response.head.status == .serviceUnavailable, "\(uri): \(response.head.status)")
                #expect(response.header("retry-after") == "1", "\(uri)")
                #expect(response.json?["error"] as? String == "overloaded", "\(uri): \(response.text)")
                #expect(response.json?["message"] is String)
                #expect(response.header("cache-status") == "catalog-cache; detail=overloaded", "\(uri)")
                #expect(response.header("content-type")?.hasPrefix("application/json") == true)
            }
            #expect(metrics.requestCount(outcome: .shed) == shedURIs.count)
            #expect(metrics.overloadEpisodes.count == episodesBefore + 1, "one episode, started by the held miss")

            // A hot-tier hit costs no I/O: still served.
            let hit = try await proxy.get("/store/regions")
            #expect(hit.head.status == .ok)
            #expect(hit.xCache == "HIT")
            #expect(metrics.hotTierHits.count == hotHitsBefore + 2)

            // A write is never shed: it reaches the origin (which refuses this one itself, after
            // looking for the region: a table the lock does not hold).
            let write = try await proxy.request(.POST, "/store/carts", body: #"{"region_id":"reg_missing"}"#)
            #expect(write.head.status == .badRequest, "\(write.head.status): \(write.text)")
            #expect(write.json?["error"] as? String != "overloaded", "a write was shed: \(write.text)")
            #expect(write.header("cache-status")?.contains("overloaded") != true)
            #expect(metrics.upstreamLatency.snapshot.count == upstreamBefore + 1, "only the write went upstream")
            #expect(metrics.requestCount(outcome: .miss) == missesBefore)

            try await lock.release()
            let answered = try await held.value
            #expect(answered.head.status == .ok)
            #expect(answered.xCache == "MISS")

            // Back under the bound: reads are admitted again.
            let after = try await proxy.get("/store/collections")
            #expect(after.head.status == .ok, "\(after.head.status): \(after.text)")
            #expect(metrics.requestCount(outcome: .shed) == shedURIs.count)

            // The overload was never taken for a Redis failure, and the origin got no request
            // beyond the misses and the write.
            #expect(metrics.redisCircuitOpens.count == 0)
            #expect(metrics.redisTimeoutsWhileLagging.count == 0)
            #expect((service.engine.store as? CircuitBreakerStore)?.stateName == "closed")
            let misses = metrics.requestCount(outcome: .miss) + metrics.requestCount(outcome: .coalesced)
            #expect(metrics.upstreamLatency.snapshot.count <= misses + metrics.requestCount(outcome: .bypass))
            #expect(metrics.upstreamLatency.snapshot.count == 4, "regions, products, the write, collections")

            let stats = try await proxy.adminGet("/metrics")
            #expect(stats.text.contains("outcome=\"shed\""), "no shed series on /metrics")
            await proxy.stop()
            try await loop.shutdownGracefully()
        }
    }
}
