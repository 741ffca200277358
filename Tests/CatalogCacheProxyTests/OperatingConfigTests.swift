import Foundation
import Testing

@testable import CatalogCacheProxy

/// The Grafana dashboard and the Prometheus alert rules in `config/` name only metrics that
/// `/metrics` exports: a renamed metric fails here, not silently on an operator's screen.
@Suite struct OperatingConfigTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Metric names `render()` declares (`# TYPE name kind`), with the series names a
    /// histogram adds.
    static func exported() -> Set<String> {
        var names: Set<String> = []
        for line in ProxyMetrics(routeNames: ["r"]).render().split(separator: "\n") where line.hasPrefix("# TYPE ") {
            let parts = line.split(separator: " ")
            let name = String(parts[2])
            names.insert(name)
            if parts[3] == "histogram" { for suffix in ["_bucket", "_sum", "_count"] { names.insert(name + suffix) } }
        }
        return names
    }

    static func referenced(in text: String) -> Set<String> {
        Set(text.matches(of: /(catalog_cache|process)_[a-z0-9_]+/).map { String($0.output.0) })
    }

    @Test func grafanaQueriesUseExportedMetrics() throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent("config/grafana/catalog-cache.json"), encoding: .utf8)
        let dashboard = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let panels = try #require(dashboard["panels"] as? [[String: Any]])
        let expressions = panels.flatMap { ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String } }
        #expect(expressions.count >= 20)
        let exported = Self.exported()
        let used = expressions.reduce(into: Set<String>()) { $0.formUnion(Self.referenced(in: $1)) }
        #expect(used.subtracting(exported).isEmpty, "not exported: \(used.subtracting(exported).sorted())")
        // Every exported family is on the dashboard somewhere.
        let families = exported.filter { !$0.hasSuffix("_sum") && !$0.hasSuffix("_count") && !($0.hasSuffix("_bucket")) }
        let shown = used.map { $0.replacingOccurrences(of: "_bucket", with: "") }
        #expect(families.subtracting(shown).isEmpty, "not on the dashboard: \(families.subtracting(shown).sorted())")
    }

    @Test func alertRulesUseExportedMetrics() throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent("config/prometheus/alerts.yml"), encoding: .utf8)
        let expressions = text.components(separatedBy: "- alert:").dropFirst()
        #expect(expressions.count >= 8)
        let used = Self.referenced(in: text)
        #expect(used.subtracting(Self.exported()).isEmpty, "not exported: \(used.subtracting(Self.exported()).sorted())")
        for required in ["catalog_cache_redis_circuit_open", "catalog_cache_feed_connected", "catalog_cache_commit_to_invalidated_seconds_bucket",
                         "catalog_cache_responses_total", "catalog_cache_upstream_errors_total", "catalog_cache_requests_total"] {
            #expect(used.contains(required), "\(required)")
        }
    }
}
