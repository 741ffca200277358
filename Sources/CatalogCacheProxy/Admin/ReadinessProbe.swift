import CatalogCacheCore
import CatalogHTTP
import NIOCore
import NIOHTTP1

/// What `/readyz` reports: whether this instance can serve correctly (`ReadinessRule`: not
/// draining, the store answers, the invalidation feed within its staleness policy) and each
/// dependency's state. The upstream's health comes from the requests' own outcomes
/// (`UpstreamHealth`), or from `upstream.health_probe_path` when one is configured; it is
/// reported and never makes the instance unready.
struct ReadinessProbe: Sendable {
    let store: any CacheStore
    let upstream: UpstreamPool
    let feed: InvalidationFeedStatus?
    let group: EventLoopGroup
    /// The live service: its configuration, engine (upstream health) and drain state.
    let service: ServiceReference

    struct Report {
        var ready: Bool
        var json: String
    }

    func check() async -> Report {
        let loop = group.next()
        let storeOK = (try? await store.ping(on: loop).get()) ?? false
        let configuration = service.configuration
        let health = service.upstreamHealth
        var upstreamState = health.map { $0.isHealthy ? "up" : "down" } ?? "unknown"
        var probed = "none"
        if let path = configuration?.upstreamHealthProbePath {
            var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
            head.headers.add(name: "User-Agent", value: "catalog-cache-readyz")
            do {
                let response = try await upstream.execute(UpstreamRequest(head: head, body: nil), on: loop).get()
                probed = "\(response.head.status.code)"
                upstreamState = response.head.status.code < 500 ? "up" : "down"
            } catch {
                probed = "failed"
                upstreamState = "down"
            }
        }
        let feedDown = feed?.notListeningFor
        let rule = ReadinessRule(
            draining: service.draining, storeUp: storeOK,
            feedListening: feed.map { $0.state == "listening" },
            feedDownMilliseconds: feedDown.map { $0.components.seconds * 1000 + $0.components.attoseconds / 1_000_000_000_000_000 },
            feedDownMaxAgeSeconds: configuration?.feedDownMaxAgeSeconds
        )
        let reasons = rule.unreadyReasons.map { "\"\($0)\"" }.joined(separator: ",")
        let json = "{\"ready\":\(rule.isReady),\"reasons\":[\(reasons)],\"draining\":\(rule.draining),"
            + "\"upstream\":\"\(upstreamState)\",\"upstream_failures_in_a_row\":\(health?.failuresInARow ?? 0),\"upstream_probe\":\"\(probed)\","
            + "\"store\":{\"kind\":\"\(store.kind)\",\"state\":\"\(storeOK ? "up" : "down")\"},"
            + "\"invalidation_feed\":\"\(feed?.state ?? "disabled")\",\"configuration_generation\":\(service.generation ?? 0)}"
        return Report(ready: rule.isReady, json: json)
    }
}
