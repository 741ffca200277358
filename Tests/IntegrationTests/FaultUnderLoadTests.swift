import CatalogCacheProxy
import CatalogOrigin
import Foundation
import NIOHTTP1
import Synchronization
import Testing

/// Reads and writes through the proxy while the origin is stopped and started again on the
/// same port and Redis is killed and restarted: bounded in time and load, all on loopback.
@Suite(.enabled(if: TestServices.enabled), .serialized)
struct FaultUnderLoadTests {
    /// What the clients saw, by status code.
    final class Tally: Sendable {
        private let counts = Mutex<[UInt: Int]>([:])
        func add(_ status: UInt) { counts.withLock { $0[status, default: 0] += 1 } }
        var snapshot: [UInt: Int] { counts.withLock { $0 } }
    }

    final class Flag: Sendable {
        private let value = Atomic<Bool>(false)
        func set() { value.store(true, ordering: .relaxed) }
        var isSet: Bool { value.load(ordering: .relaxed) }
    }

    @Test func readsAndWritesSurviveTheOriginAndRedisGoingAwayAndComingBack() async throws {
        try await withStack(products: 200, triggers: true) { stack in
            let redis = KillableRedis(port: try await freeLoopbackPort())
            try await redis.start()
            defer { redis.kill() }
            var configuration = try stack.configuration(feed: true)
            configuration.redisURL = redis.url
            configuration.redisTimeoutMilliseconds = 1000
            configuration.circuitBreakerFailures = 3
            configuration.circuitBreakerCoolDownMilliseconds = 200
            configuration.upstreamConnectTimeoutMilliseconds = 1000
            let proxy = try await stack.startProxy(configuration)
            let originPort = stack.origin.localPort
            let product = try #require(try await stack.sql("SELECT id FROM product WHERE status = 'published' ORDER BY id LIMIT 1").scalar)
            _ = try await stack.sql("UPDATE product SET stock = 100000 WHERE id = $1", [product])
            let reads = Tally(), writes = Tally()
            let stop = Flag()
            let uris = ["/store/hero-banners", "/store/products?limit=5", "/store/products/\(product)", "/store/regions"]

            var restarted: OriginService?
            await withTaskGroup(of: Void.self) { group in
                for reader in 0..<12 {
                    group.addTask {
                        var i = reader
                        while !stop.isSet {
                            i += 1
                            if let r = try? await proxy.get(uris[i % uris.count]) { reads.add(r.head.status.code) } else { reads.add(0) }
                        }
                    }
                }
                group.addTask {
                    while !stop.isSet {
                        let r = try? await proxy.request(.POST, "/admin/products/\(product)/inventory", body: #"{"delta":-1,"reason":"fault-test"}"#)
                        writes.add(r?.head.status.code ?? 0)
                    }
                }
                // The faults, one after the other, with load running throughout.
                try? await Task.sleep(for: .milliseconds(500))
                redis.kill()
                try? await Task.sleep(for: .milliseconds(500))
                try? await stack.origin.shutdown()
                try? await Task.sleep(for: .milliseconds(1000))
                restarted = try? await OriginService.start(databaseURL: stack.databaseURL, host: "127.0.0.1", port: originPort, poolSize: 4, group: TestServices.group)
                try? await redis.start()
                try? await Task.sleep(for: .milliseconds(1500))
                stop.set()
            }
            #expect(restarted != nil, "the origin did not start again on port \(originPort)")

            let readCounts = reads.snapshot, writeCounts = writes.snapshot
            let allowed: Set<UInt> = [200, 502, 504]
            #expect(Set(readCounts.keys).isSubset(of: allowed), "reads: \(readCounts)")
            #expect(Set(writeCounts.keys).isSubset(of: allowed), "writes: \(writeCounts)")
            #expect(readCounts[502, default: 0] + readCounts[504, default: 0] > 0, "the origin outage was not seen: \(readCounts)")

            // Every write answered 200 happened exactly once; a 502/504 may or may not have
            // committed (the origin was stopped under it), but nothing was applied twice.
            let rows = Int(try await stack.sql("SELECT count(*) FROM inventory_movement WHERE product_id = $1 AND reason = 'fault-test'", [product]).scalar ?? "-1") ?? -1
            let stock = Int(try await stack.sql("SELECT stock FROM product WHERE id = $1", [product]).scalar ?? "-1") ?? -1
            let ok = writeCounts[200, default: 0]
            let failed = writeCounts[502, default: 0] + writeCounts[504, default: 0]
            #expect(ok > 0)
            #expect(rows >= ok && rows <= ok + failed, "rows \(rows), 200s \(ok), 502/504s \(failed)")
            #expect(stock == 100_000 - rows)
            // Redis was gone for about 2.5 s under load, far beyond 3 failed commands: the
            // breaker opened instead of every read waiting out the Redis timeout.
            #expect(proxy.metrics.redisCircuitOpens.count > 0, "reads \(readCounts), writes \(writeCounts)")

            // Recovery without restarting the proxy: writes and cache hits work again.
            let w = try await proxy.request(.POST, "/admin/products/\(product)/inventory", body: #"{"delta":-1,"reason":"after"}"#)
            #expect(w.head.status == .ok)
            let hitsBefore = proxy.metrics.requestCount(route: "regions", outcome: .hit)
            #expect(try await eventually(seconds: 20) {
                _ = try await proxy.get("/store/regions")
                return proxy.metrics.requestCount(route: "regions", outcome: .hit) > hitsBefore
            }, "hits did not come back")
            try? await restarted?.shutdown()
        }
    }
}
