import CatalogCacheCore
import CatalogCacheProxy
import CatalogHTTP
import CatalogTestSupport
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Testing

/// Key and fill see the same request: what a fill forwards upstream, on configured and
/// origin-controlled routes, against an origin that records what it receives (real Redis).
@Suite(.serialized, .enabled(if: TestServices.enabled)) struct PoisoningTests {
    struct Harness {
        let origin: ScriptedOrigin
        let proxy: ProxyService
        let client: UpstreamPool
        let originPort: Int

        func get(_ uri: String, _ headers: [(String, String)] = []) async throws -> UpstreamResponse {
            var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: uri)
            for (name, value) in headers { head.headers.add(name: name, value: value) }
            return try await client.execute(UpstreamRequest(head: head, body: nil), on: TestServices.group.next()).get()
        }
    }

    /// The shipped configuration (`configured` routes), or the shared-cache example (one
    /// `origin` route for every path), in front of a `ScriptedOrigin`.
    func withHarness(config: String = "config/catalog-cache.yaml", routes: String? = nil, _ body: (Harness) async throws -> Void) async throws {
        guard let redisURL = TestServices.redisURL else { throw ServicesMissing() }
        let clock = ManualClock(milliseconds: Int64(Date().timeIntervalSince1970) * 1000)
        let origin = ScriptedOrigin(clock: clock)
        let server = try await HTTPServer.start(host: "127.0.0.1", port: 0, group: TestServices.group, responder: origin)
        var c = try ConfigurationLoader.load(path: TestServices.packageRoot.appendingPathComponent(config).path)
        c.listen = ListenAddress(host: "127.0.0.1", port: 0)
        c.adminListen = ListenAddress(host: "127.0.0.1", port: 0)
        c.upstreamURL = "http://127.0.0.1:\(server.localPort)"
        c.redisURL = redisURL
        c.databaseURL = nil
        c.hotTierBytes = 0
        c.keyPrefix = "poison_it_\(UInt32.random(in: 0...UInt32.max)):"
        c.redisTimeoutMilliseconds = 5000
        if let routes {
            let parsed = try ConfigurationLoader.parse(yaml: routes)
            c.routes = parsed.routes
            c.entryTagging = parsed.entryTagging
        }
        var logger = Logger(label: "test-proxy")
        logger.logLevel = .error
        let proxy = try await ProxyService.start(configuration: c, group: TestServices.group, clock: clock, logger: logger)
        let client = UpstreamPool(endpoint: try UpstreamEndpoint.parse("http://127.0.0.1:\(proxy.proxyPort)"), configuration: UpstreamPoolConfiguration(), group: TestServices.group)
        var failure: Error?
        do { try await body(Harness(origin: origin, proxy: proxy, client: client, originPort: server.localPort)) } catch { failure = error }
        try? await client.shutdown().get()
        await proxy.shutdown()
        try? await server.shutdown()
        if let failure { throw failure }
    }

    static let overrides: [(String, String)] = [
        ("Host", "evil.example"), ("X_Forwarded_Host", "evil.example"), ("X-Forwarded-Prefix", "/evil"),
        ("X-Forwarded-Port", "6666"), ("X-Original-Host", "evil.example"), ("X-Forwarded-Host", "evil.example"),
        ("x_publishable_api_key", "pk_evil"),
    ]

    /// Names the origin may not see from a fill (the client's `Host` is checked by value).
    static func leaked(_ request: HTTPServerRequest) -> [String] {
        request.headers.map(\.name).filter { name in
            let lowered = name.lowercased()
            return lowered.contains("_") || lowered.hasPrefix("x-original-") || (lowered.hasPrefix("x-forwarded-") && lowered != "x-forwarded-for" && lowered != "x-forwarded-proto")
        }
    }

    @Test func aConfiguredRouteFillSendsTheUpstreamsHostAndNoOverrideSpelling() async throws {
        try await withHarness { h in
            h.origin.on("/store/products") { _, n, _ in ScriptedOrigin.ok("{\"n\":\(n)}", [("Content-Type", "application/json")]) }
            let response = try await h.get("/store/products?limit=2", Self.overrides + [("X-Publishable-Api-Key", "pk_1")])
            #expect(response.head.status == .ok)
            let seen = try #require(h.origin.requests("/store/products").first)
            #expect(seen.headers[canonicalForm: "host"].map(String.init) == ["127.0.0.1:\(h.originPort)"])
            #expect(Self.leaked(seen) == [])
            // The keyed header does go through.
            #expect(seen.headers.first(name: "x-publishable-api-key") == "pk_1")
        }
    }

    @Test func anOriginRouteFillForwardsTheKeyedTargetAndStripsOverrides() async throws {
        try await withHarness(config: "config/examples/shared-cache.yaml") { h in
            h.origin.on("/store/products") { _, n, _ in ScriptedOrigin.ok("v\(n)", [("Cache-Control", "max-age=60")]) }
            let first = try await h.get("//store/./x/../products?b=2&a=1", Self.overrides)
            #expect(first.head.status == .ok)
            let seen = try #require(h.origin.requests("/store/products").first)
            #expect(seen.uri == "/store/products?b=2&a=1")
            #expect(seen.headers[canonicalForm: "host"].map(String.init) == ["127.0.0.1:\(h.originPort)"])
            #expect(Self.leaked(seen) == [])
        }
    }

    @Test func repeatedCacheControlLinesAreCombinedBeforeStoring() async throws {
        try await withHarness { h in
            h.origin.on("/store/regions") { _, n, _ in
                ScriptedOrigin.ok("{\"n\":\(n)}", [("Content-Type", "application/json"), ("Cache-Control", "public"), ("Cache-Control", "private")])
            }
            let first = try await h.get("/store/regions")
            let second = try await h.get("/store/regions")
            #expect(first.head.headers.first(name: "x-cache") == "MISS")
            #expect(second.head.headers.first(name: "x-cache") == "MISS")
            #expect(h.origin.requests("/store/regions").count == 2)
        }
    }

    @Test func repeatedVaryLinesWithAStarAreNotStored() async throws {
        try await withHarness { h in
            h.origin.on("/store/collections") { _, n, _ in
                ScriptedOrigin.ok("{\"n\":\(n)}", [("Content-Type", "application/json"), ("Vary", "Accept-Language"), ("Vary", "*")])
            }
            _ = try await h.get("/store/collections")
            _ = try await h.get("/store/collections")
            #expect(h.origin.requests("/store/collections").count == 2)
        }
    }

    @Test func ignoredQueryParametersNeitherKeyNorReachTheOrigin() async throws {
        let routes = """
        routes:
          - name: products
            path: /store/products
            key: "products:{hash}"
            ttl: 60
            query: {ignore: [utm_*, fbclid]}
        """
        try await withHarness(routes: routes) { h in
            h.origin.on("/store/products") { _, n, _ in ScriptedOrigin.ok("{\"n\":\(n)}", [("Content-Type", "application/json")]) }
            let first = try await h.get("/store/products?limit=2&utm_source=a", [("Host", "s")])
            let second = try await h.get("/store/products?fbclid=zz&limit=2&utm_campaign=\(UInt32.random(in: 0...UInt32.max))", [("Host", "s")])
            #expect(first.head.headers.first(name: "x-cache") == "MISS")
            #expect(second.head.headers.first(name: "x-cache") == "HIT")
            #expect(h.origin.requests("/store/products").map(\.uri) == ["/store/products?limit=2"])
        }
    }
}
