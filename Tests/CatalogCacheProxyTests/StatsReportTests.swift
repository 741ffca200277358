import CatalogCacheCore
import CatalogTestSupport
import Foundation
import Synchronization
import Testing

@testable import CatalogCacheProxy

/// The serve path's new bookkeeping and `/stats.json`, the document the dashboard and
/// `catalog-cache stat` read.
@Suite struct StatsReportTests {
    final class WallClock: Sendable {
        let now = Atomic<Int64>(1_000_000)
        func advance(_ ms: Int64) { now.add(ms, ordering: .relaxed) }
    }

    func report(_ metrics: ProxyMetrics, clock: WallClock = WallClock()) -> StatsReport {
        var configuration = ProxyConfiguration()
        configuration.upstreamURL = "http://origin.test:9000"
        return StatsReport(metrics: metrics, feed: InvalidationFeedStatus(configured: true), store: MemoryCacheStore(maxBytes: 1 << 20, clock: ManualClock(milliseconds: 0)), configuration: configuration, wallClock: { clock.now.load(ordering: .relaxed) })
    }

    func parse(_ json: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    }

    @Test func requestsAreCountedWithLatencyStatusAndKey() throws {
        let metrics = ProxyMetrics(routeNames: ["products"], hotKeySampleEvery: 1)
        let now = MonotonicClock.nanoseconds()
        // 3 hits that took ~1 ms (started 1 ms before now), one miss ~30 ms, one 502 bypass.
        for _ in 0..<3 { metrics.recordRequest(routeIndex: 0, outcome: .hit, status: 200, startedNanoseconds: now - 1_000_000, key: "catalog:k1") }
        metrics.recordRequest(routeIndex: 0, outcome: .miss, status: 200, startedNanoseconds: now - 30_000_000, key: "catalog:k2")
        metrics.recordRequest(routeIndex: nil, outcome: .bypass, status: 502, startedNanoseconds: now, key: "")
        #expect(metrics.requestCount(route: "products", outcome: .hit) == 3)
        #expect(metrics.requestCount(outcome: .bypass) == 1)
        let hit = metrics.requestDuration[CacheOutcome.hit.metricIndex].snapshot
        #expect(hit.counts.reduce(0, +) == 3)
        // Each took at least 1 ms (and, on any machine, well under 30 s).
        #expect(hit.counts[..<LatencyBuckets.index(nanoseconds: 1_000_000)].reduce(0, +) == 0)
        #expect(metrics.hotKeys.top(5).map(\.key) == ["catalog:k1", "catalog:k2"])
        let text = metrics.render()
        #expect(text.contains("catalog_cache_request_duration_seconds_count{outcome=\"hit\"} 3\n"))
        #expect(text.contains("catalog_cache_request_duration_seconds_bucket{outcome=\"miss\",le=\"+Inf\"} 1\n"))
        #expect(text.contains("catalog_cache_responses_total{class=\"2xx\"} 4\n"))
        #expect(text.contains("catalog_cache_responses_total{class=\"5xx\"} 1\n"))
        #expect(text.contains("catalog_cache_redis_circuit_open 0\n"))
    }

    @Test func outcomeIndexesFollowAllCases() {
        #expect(CacheOutcome.allCases.map(\.metricIndex) == Array(0..<CacheOutcome.allCases.count))
        #expect(CacheOutcome.metricCount == CacheOutcome.allCases.count)
    }

    @Test func hotKeysAreSampled() {
        let tracker = HotKeyTracker(sampleEvery: 64)
        // Over a spread of end times about 1 in 64 is sampled: never all, never none.
        let sampled = (0..<64_000).filter { tracker.samples(UInt64($0) &* 7919 &+ 123_456_789) }.count
        #expect(sampled > 500 && sampled < 1500, "\(sampled)")
        #expect(HotKeyTracker(sampleEvery: 1).samples(12345))
    }

    @Test func theDocumentCarriesCountersRatiosRatesAndPercentiles() throws {
        let metrics = ProxyMetrics(routeNames: ["a"], hotKeySampleEvery: 1)
        let clock = WallClock()
        let stats = report(metrics, clock: clock)
        let now = MonotonicClock.nanoseconds()
        for _ in 0..<6 { metrics.recordRequest(routeIndex: 0, outcome: .hit, status: 200, startedNanoseconds: now, key: "hot") }
        metrics.recordRequest(routeIndex: 0, outcome: .stale, status: 200, startedNanoseconds: now, key: "hot")
        metrics.recordRequest(routeIndex: 0, outcome: .miss, status: 200, startedNanoseconds: now, key: "cold")
        metrics.recordRequest(routeIndex: nil, outcome: .bypass, status: 200, startedNanoseconds: now, key: "")
        stats.sample()
        clock.advance(2000)
        for _ in 0..<10 { metrics.recordRequest(routeIndex: 0, outcome: .hit, status: 200, startedNanoseconds: now, key: "hot") }
        metrics.notificationsReceived.increment(by: 4)
        metrics.upstreamErrors.increment("connect_failed")
        stats.sample()

        let doc = try parse(stats.json())
        let counters = try #require(doc["counters"] as? [String: Double])
        #expect(counters["requests.hit"] == 16)
        #expect(counters["requests.total"] == 19)
        #expect(counters["upstream.errors"] == 1)
        #expect(counters["upstream.errors.connect_failed"] == 1)
        // (16 hits + 1 stale) of 18 cacheable requests: bypass does not count.
        #expect(doc["hit_ratio"] as? Double == (17.0 / 18.0 * 1e6).rounded() / 1e6)
        let rates = try #require(doc["rates_1s"] as? [String: Double])
        #expect(rates["requests.hit"] == 5)
        #expect(rates["feed.notifications"] == 2)
        #expect(doc["hit_ratio_10s"] as? Double == 1)
        let latency = try #require((doc["latency_ms"] as? [String: Any])?["hit"] as? [String: Any])
        #expect(latency["count"] as? Double == 16)
        #expect((latency["p50"] as? Double).map { $0 >= 0 && $0 < 30_000 } == true)
        #expect(((doc["latency_ms"] as? [String: Any])?["coalesced"] as? [String: Any])?["p99"] is NSNull)
        #expect((doc["upstream"] as? [String: Any])?["state"] as? String == "failing")
        #expect((doc["feed"] as? [String: Any])?["state"] as? String == "connecting")
        #expect((doc["redis"] as? [String: Any])?["circuit"] as? String == "none")
        let hot = try #require((doc["hot_keys"] as? [String: Any])?["keys"] as? [[String: Any]])
        #expect(hot.first?["key"] as? String == "hot")
        #expect(hot.first?["samples"] as? Double == 17)
        #expect(hot.map { $0["key"] as? String } == ["hot", "cold"])
    }

    @Test func quotesKeysAndNeverWritesNonFiniteNumbers() throws {
        let metrics = ProxyMetrics(routeNames: ["a"], hotKeySampleEvery: 1)
        metrics.recordRequest(routeIndex: 0, outcome: .hit, status: 200, startedNanoseconds: MonotonicClock.nanoseconds(), key: "k\"\\\n</script>")
        let doc = try parse(report(metrics).json())
        #expect(doc["hit_ratio"] as? Double == 1)
        let hot = try #require((doc["hot_keys"] as? [String: Any])?["keys"] as? [[String: Any]])
        #expect(hot.first?["key"] as? String == "k\"\\\n</script>")
        #expect(ProxyMetrics(routeNames: []).render().contains("catalog_cache_request_duration_seconds_bucket{outcome=\"bypass\",le=\"1e-05\"} 0\n"))
    }
}
