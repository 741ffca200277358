import CatalogTestSupport
import CatalogCacheCore
import CatalogCacheProxy
import Foundation
import Testing

/// Parses Prometheus text: `name{labels} value` lines into (name, labels, value).
struct PrometheusSample {
    var name: String
    var labels: [String: String]
    var value: Double

    static func parse(_ text: String) -> [PrometheusSample] {
        text.split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#"), let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { return nil }
            let series = line[..<space]
            guard let brace = series.firstIndex(of: "{") else { return PrometheusSample(name: String(series), labels: [:], value: value) }
            var labels: [String: String] = [:]
            for pair in series[series.index(after: brace)..<series.index(before: series.endIndex)].split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2 { labels[String(parts[0])] = String(parts[1].dropFirst().dropLast()) }
            }
            return PrometheusSample(name: String(series[..<brace]), labels: labels, value: value)
        }
    }
}

extension [PrometheusSample] {
    func sum(_ name: String, where match: [String: String] = [:]) -> Double {
        filter { s in s.name == name && match.allSatisfy { k, v in s.labels[k] == v } }.reduce(0) { $0 + $1.value }
    }

    /// Non-cumulative bucket counts (the last is +Inf) of a histogram, summed over series
    /// matching `match`, for `HistogramQuantile`.
    func buckets(_ name: String, where match: [String: String] = [:]) -> (bounds: [Double], counts: [Int]) {
        var cumulative: [String: Double] = [:]
        for s in self where s.name == name + "_bucket" && match.allSatisfy({ k, v in s.labels[k] == v }) {
            cumulative[s.labels["le"]!, default: 0] += s.value
        }
        let bounds = cumulative.keys.compactMap { $0 == "+Inf" ? nil : Double($0) }.sorted()
        var counts: [Int] = []
        var previous = 0.0
        for bound in bounds {
            let c = cumulative.first { Double($0.key) == bound }!.value
            counts.append(Int(c - previous))
            previous = c
        }
        counts.append(Int((cumulative["+Inf"] ?? previous) - previous))
        return (bounds, counts)
    }
}

/// The dashboard in a real browser: Debian's chromium, headless, loads `/` from the admin
/// port, runs its script (which polls `/stats.json`), and the figures it rendered are checked
/// against `/metrics`. Fails when the page's script is broken (nothing is rendered then).
@Suite(.enabled(if: TestServices.enabled), .serialized)
struct DashboardBrowserTests {
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Runs headless chromium on `url` and returns the DOM after its scripts ran.
    static func renderedDOM(_ url: String) async throws -> String {
        let binary = try #require(chromium, "chromium is not installed: run scripts/bootstrap")
        return try await offThePool {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            let profile = FileManager.default.temporaryDirectory.appendingPathComponent("cc-chromium-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: profile) }
            // Virtual time lets the page's timers run without waiting in real time; the page's
            // fetches are real requests to the admin port.
            process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=\(profile.path)",
                                 "--virtual-time-budget=5000", "--dump-dom", url]
            let out = Pipe(), err = Pipe()
            process.standardOutput = out
            process.standardError = err
            try process.run()
            let dom = out.fileHandleForReading.readDataToEndOfFile()
            _ = err.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return String(decoding: dom, as: UTF8.self)
        }
    }

    /// `data-stat` path → rendered text.
    static func figures(_ dom: String) -> [String: String] {
        var out: [String: String] = [:]
        let regex = /data-stat="([^"]+)" data-format="[a-z]+">([^<]*)</
        for match in dom.matches(of: regex) { out[String(match.1)] = String(match.2) }
        return out
    }

    @Test func theDashboardShowsWhatMetricsSays() async throws {
        try await withStack(triggers: true) { stack in
            let proxy = try await stack.startProxy(try stack.configuration())
            for _ in 0..<400 { _ = try await proxy.get("/store/hero-banners") }
            for limit in 1...6 { _ = try await proxy.get("/store/products?limit=\(limit)") }
            _ = try await proxy.get("/store/carts/none")
            _ = try await stack.sql("UPDATE product SET title = title || '!' WHERE id = (SELECT min(id) FROM product)")
            #expect(await eventually { proxy.metrics.commitToInvalidated.snapshot.count >= 1 })

            let metrics = PrometheusSample.parse(try await proxy.adminGet("/metrics").text)
            let dom = try await Self.renderedDOM("http://127.0.0.1:\(proxy.service.adminPort)/")
            let shown = Self.figures(dom)
            let updates = try #require(dom.firstMatch(of: /data-updates="(\d+)"/).flatMap { Int($0.1) })
            #expect(updates >= 1, "the page never rendered /stats.json")

            func number(_ path: String) -> Double? {
                shown[path].flatMap { Double($0.replacingOccurrences(of: ",", with: "").replacingOccurrences(of: " %", with: "")) }
            }
            var counts: [CacheOutcome: Double] = [:]
            for outcome in CacheOutcome.allCases {
                counts[outcome] = metrics.sum("catalog_cache_requests_total", where: ["outcome": outcome.rawValue])
                #expect(number("counters/requests.\(outcome.rawValue)") == counts[outcome], "\(outcome): \(shown["counters/requests.\(outcome.rawValue)"] ?? "absent")")
            }
            #expect(counts[.hit]! >= 390)
            let ratio = (counts[.hit]! + counts[.stale]!) / (counts[.hit]! + counts[.stale]! + counts[.miss]! + counts[.coalesced]!)
            #expect(shown["hit_ratio"] == String(format: "%.1f %%", ratio * 100).replacingOccurrences(of: "%%", with: "%"), "\(shown["hit_ratio"] ?? "absent") vs \(ratio)")
            #expect(number("counters/feed.notifications") == metrics.sum("catalog_cache_notifications_total"))
            #expect(number("counters/redis.errors") == metrics.sum("catalog_cache_redis_errors_total"))
            #expect(number("counters/responses.5xx") == metrics.sum("catalog_cache_responses_total", where: ["class": "5xx"]))
            #expect(shown["feed/state"] == (metrics.sum("catalog_cache_feed_connected") == 1 ? "listening" : "not listening"))
            #expect(shown["redis/circuit"] == (metrics.sum("catalog_cache_redis_circuit_open") == 0 ? "closed" : "open"))

            // Percentiles, computed from the /metrics buckets the way Prometheus would.
            for (path, histogram, match) in [
                ("latency_ms/all/p50", "catalog_cache_request_duration_seconds", [String: String]()),
                ("latency_ms/hit/p99", "catalog_cache_request_duration_seconds", ["outcome": "hit"]),
                ("feed/commit_to_invalidated_ms/p50", "catalog_cache_commit_to_invalidated_seconds", [:]),
            ] {
                let b = metrics.buckets(histogram, where: match)
                let expected = try #require(HistogramQuantile.quantile(path.hasSuffix("p99") ? 0.99 : 0.5, bounds: b.bounds, counts: b.counts)) * 1000
                let figure = try #require(number(path), "\(path) not shown")
                #expect(abs(figure - expected) <= 0.0011 + expected * 1e-5, "\(path): shown \(figure), /metrics gives \(expected)")
            }

            // The hottest key is the one requested 400 times.
            let hottest = dom.firstMatch(of: /data-hot-key="([^"]*)"/).map { String($0.1) }
            #expect(hottest == "\(stack.keyPrefix)hero_banners:active")
        }
    }

    @Test func theAdminPortServesThePageAndTheDocument() async throws {
        try await withStack(triggers: false) { stack in
            let proxy = try await stack.startProxy(try stack.configuration(feed: false))
            let page = try await proxy.adminGet("/")
            #expect(page.head.status == .ok)
            #expect(page.header("content-type") == "text/html; charset=utf-8")
            // Self-contained: nothing is loaded from anywhere else.
            #expect(!page.text.contains("http://") && !page.text.contains("https://") && !page.text.contains("src=\"//"))
            let stats = try await proxy.adminGet("/stats.json")
            #expect(stats.head.status == .ok)
            #expect((stats.json?["feed"] as? [String: Any])?["state"] as? String == "disabled")
            #expect(try await proxy.adminGet("/nothing").text.contains("/stats.json"))
        }
    }
}
