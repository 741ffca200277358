import CatalogHTTP
import NIOCore
import NIOHTTP1

/// What `/readyz` reports: each dependency's state, and whether the proxy can serve correctly.
///
/// Ready means: the upstream answers HTTP and the store answers a ping. The invalidation
/// feed being down does not make the proxy unready (it still serves, with TTLs bounding
/// staleness) but is reported, so an operator sees it.
struct ReadinessProbe: Sendable {
    let store: any CacheStore
    let upstream: UpstreamPool
    let feedState: @Sendable () -> String
    let group: EventLoopGroup

    struct Report {
        var ready: Bool
        var json: String
    }

    func check() async -> Report {
        let loop = group.next()
        let storeOK = (try? await store.ping(on: loop).get()) ?? false
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/store/regions")
        head.headers.add(name: "User-Agent", value: "catalog-cache-readyz")
        let upstreamOK: Bool
        do {
            _ = try await upstream.execute(UpstreamRequest(head: head, body: nil), on: loop).get()
            upstreamOK = true
        } catch {
            upstreamOK = false
        }
        let feed = feedState()
        let ready = storeOK && upstreamOK
        let json = "{\"ready\":\(ready),\"upstream\":\"\(upstreamOK ? "up" : "down")\",\"store\":{\"kind\":\"\(store.kind)\",\"state\":\"\(storeOK ? "up" : "down")\"},\"invalidation_feed\":\"\(feed)\"}"
        return Report(ready: ready, json: json)
    }
}
