import CatalogCacheCore
import CatalogCacheProxy
import CatalogHTTP
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import Testing

/// Purges at the edge after invalidations: a real Varnish with xkey in front of the proxy, and
/// loopback stand-ins for Fastly's and Cloudflare's purge APIs checking each request as their
/// API documentation specifies.
@Suite(.enabled(if: TestServices.enabled), .serialized)
struct EdgePurgeTests {
    func firstActiveBanner(_ stack: Stack) async throws -> String {
        try #require(try await stack.sql("SELECT id FROM hero_banner WHERE is_active ORDER BY sort_order, id LIMIT 1").scalar)
    }

    /// Waits until every target has nothing waiting or in flight (the purge of every fixed tag
    /// the feed's first connect asks for included).
    func waitUntilPurgesSettle(_ proxy: RunningProxy) async throws {
        let purger = try #require(proxy.service.purger)
        #expect(await eventually(seconds: 30) { purger.isIdle })
    }

    @Test func aWriteThroughTheProxyReachesTheVarnishEdgeOnceItsPurgeIsAcknowledged() async throws {
        try await withStack(triggers: true) { stack in
            let edgePort = try await freeLoopbackPort()
            let proxyPort = try await freeLoopbackPort()
            let edge = try VarnishEdge(port: edgePort, backendPort: proxyPort)
            defer { edge.stop() }
            var configuration = try stack.configuration()
            configuration.listen = ListenAddress(host: "127.0.0.1", port: proxyPort)
            configuration.purge.targets = [PurgeTargetConfiguration(name: "edge", kind: .varnish, url: "http://127.0.0.1:\(edgePort)")]
            let proxy = try await stack.startProxy(configuration)
            let viewer = UpstreamPool(endpoint: try UpstreamEndpoint.parse("http://127.0.0.1:\(edgePort)"), configuration: UpstreamPoolConfiguration(), group: TestServices.group)
            defer { _ = viewer.shutdown() }
            try await edge.waitUntilServing(client: viewer)
            try await waitUntilPurgesSettle(proxy)
            func viaEdge(_ uri: String) async throws -> UpstreamResponse {
                try await viewer.execute(UpstreamRequest(method: .GET, uri: uri), on: TestServices.group.next()).get()
            }

            let id = try await firstActiveBanner(stack)
            let products = try await stack.sql("SELECT id FROM product WHERE status = 'published' ORDER BY id LIMIT 2")
            let (edited, untouched) = (try #require(products.rows[0][0]), try #require(products.rows[1][0]))
            for uri in ["/store/hero-banners", "/store/products/\(edited)", "/store/products/\(untouched)"] {
                #expect(try await viaEdge(uri).head.status == .ok)
                let again = try await viaEdge(uri)
                #expect(again.header("x-edge-cache") == "HIT", "\(uri) was not cached at the edge")
                #expect(again.header("surrogate-key") == nil, "the edge must not show its tags to clients")
            }

            let purged = proxy.metrics.edge.tagsPurged.count("edge")
            let patch = try await proxy.request(.PATCH, "/admin/hero-banners/\(id)", body: #"{"title":"Edge sale"}"#)
            #expect(patch.head.status == .ok)
            #expect(await eventually(seconds: 10) { proxy.metrics.edge.tagsPurged.count("edge") > purged })
            let banners = try await viaEdge("/store/hero-banners")
            #expect(banners.header("x-edge-cache") == "MISS")
            #expect(banners.text.contains("Edge sale"))

            let before = proxy.metrics.edge.tagsPurged.count("edge")
            let rename = try await proxy.request(.PATCH, "/admin/products/\(edited)", body: #"{"title":"Renamed at the edge"}"#)
            #expect(rename.head.status == .ok)
            #expect(await eventually(seconds: 10) { proxy.metrics.edge.tagsPurged.count("edge") > before })
            let detail = try await viaEdge("/store/products/\(edited)")
            #expect(detail.header("x-edge-cache") == "MISS")
            #expect(detail.text.contains("Renamed at the edge"))
            // Purged by tag: the other product's page stays at the edge.
            #expect(try await viaEdge("/store/products/\(untouched)").header("x-edge-cache") == "HIT")
        }
    }

    @Test func fastlyGetsBatchPurgesBySurrogateKeyAsItsAPIDocumentsThem() async throws {
        try await withStack(triggers: true) { stack in
            let api = RecordingPurgeAPI { request, _ in
                // Fastly answers a batch purge with a map of each key to its purge id.
                let keys = (request.headers.first(name: "surrogate-key") ?? "").split(separator: " ")
                return .json(.ok, "{" + keys.map { "\"\($0)\":\"108-1391560174-974124\"" }.joined(separator: ",") + "}")
            }
            let server = try await HTTPServer.start(host: "127.0.0.1", port: 0, group: TestServices.group, responder: api)
            defer { Task { try? await server.shutdown() } }
            var configuration = try stack.configuration()
            var target = PurgeTargetConfiguration(name: "fastly", kind: .fastly, url: "http://127.0.0.1:\(server.localPort)")
            target.scope = "SU1Z0isxPaozGVKXdv0eY"
            target.token = "fastly-test-token"
            target.soft = true
            configuration.purge.targets = [target]
            let proxy = try await stack.startProxy(configuration)
            try await waitUntilPurgesSettle(proxy)
            let id = try await firstActiveBanner(stack)
            let seen = api.requests.count
            #expect(try await proxy.request(.PATCH, "/admin/hero-banners/\(id)", body: #"{"title":"Fastly"}"#).head.status == .ok)
            #expect(await eventually { api.requests.count > seen && proxy.service.purger?.isIdle == true })

            let requests = api.requests
            #expect(requests.count >= 2)  // the first connect's purge of every fixed tag, then the write's
            for request in requests {
                #expect(request.method == .POST)
                #expect(request.uri == "/service/SU1Z0isxPaozGVKXdv0eY/purge")
                #expect(request.headers.first(name: "fastly-key") == "fastly-test-token")
                #expect(request.headers.first(name: "fastly-soft-purge") == "1")
                #expect(request.headers.first(name: "accept") == "application/json")
                let keys = (request.headers.first(name: "surrogate-key") ?? "").split(separator: " ").map(String.init)
                #expect(!keys.isEmpty && keys.count <= 256)
                #expect(Set(keys).count == keys.count, "duplicate keys in one purge: \(keys)")
                #expect(request.body.isEmpty)
            }
            let last = requests[seen...].flatMap { ($0.headers.first(name: "surrogate-key") ?? "").split(separator: " ").map(String.init) }
            #expect(last.contains("hero_banners"))
            #expect(proxy.metrics.edge.purgeRequests.count("fastly:acknowledged") == requests.count)
        }
    }

    @Test func cloudflareGetsTagPurgesWithinItsLimitAndAFailedOneIsRetried() async throws {
        try await withStack(triggers: true) { stack in
            let api = RecordingPurgeAPI { _, number in
                // The first call fails as an overloaded API would; the retry succeeds.
                if number == 0 { return .json(.serviceUnavailable, #"{"success":false,"errors":[{"code":10000,"message":"try again"}],"messages":[],"result":null}"#) }
                return .json(.ok, #"{"success":true,"errors":[],"messages":[],"result":{"id":"9a7806061c88ada191ed06f989cc3dac"}}"#)
            }
            let server = try await HTTPServer.start(host: "127.0.0.1", port: 0, group: TestServices.group, responder: api)
            defer { Task { try? await server.shutdown() } }
            var configuration = try stack.configuration()
            var target = PurgeTargetConfiguration(name: "cloudflare", kind: .cloudflare, url: "http://127.0.0.1:\(server.localPort)/client/v4")
            target.scope = "023e105f4ecef8ad9ca31a8372d0c353"
            target.token = "cf-test-token"
            target.maxTagsPerRequest = 2
            configuration.purge.targets = [target]
            configuration.purge.initialBackoffMilliseconds = 20
            let proxy = try await stack.startProxy(configuration)
            try await waitUntilPurgesSettle(proxy)

            let requests = api.requests
            var purged: [String] = []
            for (number, request) in requests.enumerated() {
                #expect(request.method == .POST)
                #expect(request.uri == "/client/v4/zones/023e105f4ecef8ad9ca31a8372d0c353/purge_cache")
                #expect(request.headers.first(name: "authorization") == "Bearer cf-test-token")
                #expect(request.headers.first(name: "content-type") == "application/json")
                let body = try #require(try JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? [String: Any])
                #expect(Set(body.keys) == ["tags"])
                let tags = try #require(body["tags"] as? [String])
                #expect(!tags.isEmpty && tags.count <= 2)
                if number > 0 { purged += tags }
            }
            // Every fixed tag of the configuration was purged once the first connect dropped them.
            #expect(Set(purged) == Set(configuration.everyFixedTag))
            #expect(requests[0].body == requests[1].body, "the failed batch is sent again")
            #expect(proxy.metrics.edge.purgeRequests.count("cloudflare:failed") == 1)
            #expect(proxy.metrics.edge.purgesAbandoned.count("cloudflare") == 0)
        }
    }

    /// The edge's API holds every purge request unanswered: writes through the proxy still
    /// return, and the very next read is fresh, while the first purge is still held.
    @Test func aHangingOrDeadEdgeNeverDelaysTheLocalInvalidationOrReadYourWrites() async throws {
        try await withStack(triggers: true) { stack in
            let released = NIOLockedValueBox(false)
            let api = RecordingPurgeAPI { _, _ in
                while !released.withLockedValue({ $0 }) { try? await Task.sleep(for: .milliseconds(10)) }
                return .json(.ok, "{}")
            }
            let server = try await HTTPServer.start(host: "127.0.0.1", port: 0, group: TestServices.group, responder: api)
            defer {
                released.withLockedValue { $0 = true }
                Task { try? await server.shutdown() }
            }
            let deadPort = try await freeLoopbackPort()
            var configuration = try stack.configuration()
            var hanging = PurgeTargetConfiguration(name: "hanging", kind: .http, url: "http://127.0.0.1:\(server.localPort)/purge")
            hanging.timeoutMilliseconds = 600_000
            configuration.purge.targets = [hanging, PurgeTargetConfiguration(name: "dead", kind: .varnish, url: "http://127.0.0.1:\(deadPort)")]
            let proxy = try await stack.startProxy(configuration)
            #expect(await eventually { api.requests.count == 1 })
            let id = try await firstActiveBanner(stack)
            for i in 0..<3 {
                _ = try await proxy.get("/store/hero-banners")
                let patch = try await proxy.request(.PATCH, "/admin/hero-banners/\(id)", body: "{\"title\":\"Held \(i)\"}")
                #expect(patch.head.status == .ok)
                #expect(try await proxy.get("/store/hero-banners").text.contains("\"Held \(i)\""))
            }
            // Still the first request: the edge has not answered any purge yet.
            #expect(api.requests.count == 1)
            #expect(api.requests[0].method.rawValue == "PURGE")
            #expect(api.requests[0].uri == "/purge")
            #expect(proxy.metrics.readYourWritesTimeouts.count == 0)
            #expect(await eventually { proxy.metrics.edge.purgeRequests.count("dead:failed") >= 2 })
            released.withLockedValue { $0 = true }
            #expect(await eventually { api.requests.count >= 2 })
            let tags = api.requests[1...].flatMap { ($0.headers.first(name: "surrogate-key") ?? "").split(separator: " ") }
            #expect(tags.contains("hero_banners"))
        }
    }
}
