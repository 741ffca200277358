import CatalogTestSupport
import CatalogCacheCore
import CatalogCacheProxy
import CatalogHTTP
import CatalogPostgres
import Foundation
import NIOCore
import NIOHTTP1
import NIOConcurrencyHelpers
import Testing

/// Not a test: a measurement, run on demand with
///   CATALOG_MEASURE_EDGE=1 scripts/test --filter EdgeLatencyMeasurement
/// A real Varnish edge in front of the proxy, readers hammering both, an SSE subscriber, and
/// `MEASURE_WRITES` banner updates committed through psql-style SQL one after another. For
/// each: from just before the UPDATE is sent (it commits on return) to the admin event read
/// by the subscriber, and to the edge's acknowledgement of the purge. Prints p50/p99/max.
@Suite(.enabled(if: MeasurementSwitch.edge), .serialized)
struct EdgeLatencyMeasurement {
    @Test func commitToEventAndToEdgePurgedUnderReadLoad() async throws {
        let writes = Int(ProcessInfo.processInfo.environment["MEASURE_WRITES"] ?? "300") ?? 300
        let readers = Int(ProcessInfo.processInfo.environment["MEASURE_READERS"] ?? "16") ?? 16
        try await withStack(triggers: true) { stack in
            let edgePort = try await freeLoopbackPort()
            let proxyPort = try await freeLoopbackPort()
            let edge = try VarnishEdge(port: edgePort, backendPort: proxyPort)
            defer { edge.stop() }
            var configuration = try stack.configuration()
            configuration.listen = ListenAddress(host: "127.0.0.1", port: proxyPort)
            configuration.purge.targets = [PurgeTargetConfiguration(name: "edge", kind: .varnish, url: "http://127.0.0.1:\(edgePort)")]
            let proxy = try await stack.startProxy(configuration)
            var poolConfiguration = UpstreamPoolConfiguration()
            poolConfiguration.maxConnectionsPerEventLoop = 64
            let viewer = UpstreamPool(endpoint: try UpstreamEndpoint.parse("http://127.0.0.1:\(edgePort)"), configuration: poolConfiguration, group: TestServices.group)
            defer { _ = viewer.shutdown() }
            try await edge.waitUntilServing(client: viewer)
            let purger = try #require(proxy.service.purger)
            #expect(await eventually(seconds: 30) { purger.isIdle })

            let id = try #require(try await stack.sql("SELECT id FROM hero_banner WHERE is_active ORDER BY sort_order, id LIMIT 1").scalar)
            let products = try await stack.sql("SELECT id FROM product WHERE status = 'published' ORDER BY id LIMIT 20").rows.compactMap { $0[0] }
            let subscriber = try await EventStream.open(port: proxyPort, headers: [("Authorization", "Bearer \(stack.adminToken)")])
            #expect(subscriber.status == 200)

            let stop = NIOLockedValueBox(false)
            let reads = NIOLockedValueBox(0)
            let load = Task {
                await withTaskGroup(of: Void.self) { group in
                    for reader in 0..<readers {
                        group.addTask {
                            var n = reader
                            while !stop.withLockedValue({ $0 }) {
                                let uri = n % 3 == 0 ? "/store/hero-banners" : "/store/products/\(products[n % products.count])"
                                let client = n % 2 == 0 ? viewer : proxy.client
                                _ = try? await client.execute(UpstreamRequest(method: .GET, uri: uri), on: TestServices.group.next()).get()
                                reads.withLockedValue { $0 += 1 }
                                n += 1
                            }
                        }
                    }
                }
            }
            // One connection for every write, so a write's time is its UPDATE, not a connect.
            nonisolated(unsafe) let writer = try PostgresConnection(url: stack.databaseURL)
            defer { writer.close() }
            var toEvent: [Double] = []
            var toPurged: [Double] = []
            let started = Date()
            for i in 0..<writes {
                let acknowledged = proxy.metrics.edge.tagsPurged.count("edge")
                let t0 = try await offThePool { () -> UInt64 in
                    let t0 = MonotonicClock.nanoseconds()
                    _ = try writer.query("UPDATE hero_banner SET title = $1 WHERE id = $2", ["Measured \(i)", id])
                    return t0
                }
                var event = try await subscriber.next()
                while event.name != "banner.updated" { event = try await subscriber.next() }
                toEvent.append(Double(MonotonicClock.nanoseconds() - t0) / 1e6)
                while proxy.metrics.edge.tagsPurged.count("edge") == acknowledged { try await Task.sleep(for: .microseconds(100)) }
                toPurged.append(Double(MonotonicClock.nanoseconds() - t0) / 1e6)
            }
            let seconds = Date().timeIntervalSince(started)
            stop.withLockedValue { $0 = true }
            await load.value
            func summary(_ values: [Double]) -> String {
                let sorted = values.sorted()
                func q(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)] }
                return String(format: "p50 %.2f ms, p99 %.2f ms, max %.2f ms", q(0.5), q(0.99), sorted.last ?? 0)
            }
            print("MEASURE edge: \(writes) commits, \(readers) readers, \(Int(Double(reads.withLockedValue { $0 }) / seconds)) reads/s during the run")
            print("MEASURE commit -> admin event read by the subscriber: \(summary(toEvent))")
            print("MEASURE commit -> edge purge acknowledged: \(summary(toPurged))")
            print("MEASURE purge requests: \(proxy.metrics.edge.purgeRequests.snapshot)")
        }
    }
}

enum MeasurementSwitch {
    static var edge: Bool { TestServices.enabled && ProcessInfo.processInfo.environment["CATALOG_MEASURE_EDGE"] == "1" }
}
