import CatalogCacheCore
import NIOCore
import Testing

@testable import CatalogCacheProxy

@Suite struct ProxyMetricsTests {
    @Test func countsEveryOutcomeUnderItsRouteAndRendersPrometheusText() {
        let metrics = ProxyMetrics(routeNames: ["banners", "products"])
        metrics.recordRequest(routeIndex: 0, outcome: .hit, status: 200, startedNanoseconds: MonotonicClock.nanoseconds(), key: "")
        metrics.recordRequest(routeIndex: 0, outcome: .hit, status: 200, startedNanoseconds: MonotonicClock.nanoseconds(), key: "")
        metrics.recordRequest(routeIndex: 1, outcome: .miss, status: 200, startedNanoseconds: MonotonicClock.nanoseconds(), key: "")
        metrics.recordRequest(routeIndex: nil, outcome: .bypass, status: 200, startedNanoseconds: MonotonicClock.nanoseconds(), key: "")
        metrics.upstreamLatency.observe(0.003)
        for redirect in [ClusterRedirect.ask(slot: 1, to: ServerAddress(host: "h", port: 1)), .ask(slot: 2, to: ServerAddress(host: "h", port: 1)), .tryAgain] {
            metrics.redisClusterRedirects.increment(redirect.kind)
        }
        #expect(metrics.requestCount(route: "banners", outcome: .hit) == 2)
        #expect(metrics.requestCount(route: "products", outcome: .miss) == 1)
        #expect(metrics.requestCount(route: "-", outcome: .bypass) == 1)
        #expect(metrics.requestCount(outcome: .hit) == 2)
        let text = metrics.render()
        #expect(text.contains("catalog_cache_requests_total{route=\"banners\",outcome=\"hit\"} 2\n"))
        #expect(text.contains("catalog_cache_requests_total{route=\"-\",outcome=\"bypass\"} 1\n"))
        #expect(text.contains("catalog_cache_upstream_request_duration_seconds_bucket{le=\"0.0025\"} 0\n"))
        #expect(text.contains("catalog_cache_upstream_request_duration_seconds_bucket{le=\"0.005\"} 1\n"))
        #expect(text.contains("catalog_cache_upstream_request_duration_seconds_count 1\n"))
        #expect(text.contains("catalog_cache_redis_cluster_redirects_total{kind=\"ask\"} 2\ncatalog_cache_redis_cluster_redirects_total{kind=\"tryagain\"} 1\n"))
        // Every sample line is "name{labels} value" or "name value".
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            #expect(line.split(separator: " ").count == 2, "bad line \(line)")
        }
    }
}
