import CatalogTestSupport
import CatalogCacheCore
import CatalogCacheProxy
import CatalogHTTP
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// Hostile requests on a real socket, against an origin stand-in that records what reaches
/// it: smuggling shapes, path tricks and cache-poisoning headers.
@Suite(.serialized) struct HostileInputTests {
    /// Request shapes an attacker uses to make a proxy and an origin disagree on where a
    /// request ends. Each must get a JSON 400 and a closed connection, and reach nobody.
    static let smuggling: [String] = [
        "POST /admin/x HTTP/1.1\r\nHost: s\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin/smuggled HTTP/1.1\r\nHost: s\r\n\r\n",
        "POST /admin/x HTTP/1.1\r\nHost: s\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        "POST /admin/x HTTP/1.1\r\nHost: s\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
        "POST /admin/x HTTP/1.1\r\nHost: s\r\nTransfer-Encoding: identity\r\n\r\n",
        "GET /store/hero-banners HTTP/1.1\r\nHost: s\r\nX-A: 1\r\n folded: continuation\r\n\r\n",
        "GET /store/hero-banners HTTP/1.1\r\nHost: s\r\nBad Header: x\r\n\r\n",
        "GET /store/hero-banners HTTP/1.1\r\nHost: s\r\nX-A\r\n\r\n",
        "GET /store/hero\u{0}banners HTTP/1.1\r\nHost: s\r\n\r\n",
        "GET /store/hero\u{1}banners HTTP/1.1\r\nHost: s\r\n\r\n",
        "GET /store/hero banners HTTP/1.1\r\nHost: s\r\n\r\n",
        "GET /store/hero-banners HTTP/9.9\r\nHost: s\r\n\r\n",
    ]

    @Test func smugglingShapesGetJSON400AClosedConnectionAndNeverReachTheOrigin() async throws {
        let origin = EchoOrigin()
        let server = try await HTTPServer.start(host: "127.0.0.1", port: 0, group: TestServices.group, responder: origin)
        let service = try await startBareProxy(upstreamPort: server.localPort)
        for raw in Self.smuggling {
            do {
                let c = try RawHTTPClient(port: service.proxyPort)
                try await c.send(raw)
                let r = try await c.readResponse()
                #expect(r.statusCode == 400, "\(raw.debugDescription)")
                #expect(r.body.hasPrefix("{\"error\":"), "\(raw.debugDescription)")
                #expect(try await c.isClosedByPeer(), "\(raw.debugDescription)")
            } catch {
                Issue.record("\(raw.debugDescription): \(error)")
            }
        }
        #expect(origin.requests.isEmpty, "reached the origin: \(origin.requests.map(\.uri))")
        await service.shutdown()
        try? await server.shutdown()
    }

    /// Paths that try to reach `/admin` through a store prefix, or to hide a slash from the
    /// router: none may be served from or stored as a store route's entry.
    @Test(arguments: [
        "/store/../admin/x", "/store/%2e%2e/admin", "/store/%2E%2E/admin/products", "/store/hero-banners/../../admin",
        "/store/hero-banners%2F..%2F..%2Fadmin", "/store/products%2fprod_1", "/store/products%5Cprod_1",
        "/store/products/%00", "/store\\..\\admin",
    ])
    func pathTricksAreNeverCachedAsStoreRoutes(path: String) async throws {
        let origin = EchoOrigin()
        let server = try await HTTPServer.start(host: "127.0.0.1", port: 0, group: TestServices.group, responder: origin)
        let service = try await startBareProxy(upstreamPort: server.localPort)
        do {
            let c = try RawHTTPClient(port: service.proxyPort)
            try await c.send("GET \(path) HTTP/1.1\r\nHost: s\r\n\r\n")
            let r = try await c.readResponse()
            #expect(r.statusCode == 400 || r.headers["x-cache"] == "BYPASS", "\(path): \(r.statusCode) \(r.headers["x-cache"] ?? "-")")
            let m = service.metrics
            for outcome in [CacheOutcome.hit, .miss, .stale, .coalesced] {
                #expect(m.requestCount(outcome: outcome) == 0, "\(path) was treated as cacheable (\(outcome))")
            }
            #expect(m.entriesStored.count == 0)
        } catch {
            Issue.record("\(path): \(error)")
        }
        await service.shutdown()
        try? await server.shutdown()
    }

    @Test func poisoningHeadersOnAFillDoNotReachTheOriginNorChangeTheStoredEntry() async throws {
        let origin = EchoOrigin()
        let server = try await HTTPServer.start(host: "127.0.0.1", port: 0, group: TestServices.group, responder: origin)
        let service = try await startBareProxy(upstreamPort: server.localPort)
        let pool = UpstreamPool(endpoint: try UpstreamEndpoint.parse("http://127.0.0.1:\(service.proxyPort)"), configuration: UpstreamPoolConfiguration(), group: TestServices.group)
        do {
            let poison = [
                ("X-Forwarded-Host", "evil.example"), ("X-Original-URL", "/admin/products"), ("X-Rewrite-URL", "/admin/products"),
                ("X-HTTP-Method-Override", "DELETE"), ("Forwarded", "host=evil.example"), ("X-Forwarded-Server", "evil.example"),
            ]
            var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/store/hero-banners")
            for (n, v) in poison { head.headers.add(name: n, value: v) }
            let first = try await pool.execute(UpstreamRequest(head: head, body: nil), on: TestServices.group.next()).get()
            #expect(first.xCache == "MISS")
            let seen = try #require(origin.requests.first)
            #expect(seen.method == "GET")
            let names = Set(seen.headers.map { $0.0.lowercased() })
            for (n, _) in poison { #expect(!names.contains(n.lowercased()), "\(n) reached the origin on a fill") }
            #expect(!first.text.contains("evil") && !first.text.contains("/admin") && !first.text.contains("DELETE"))

            let clean = try await pool.execute(UpstreamRequest(head: HTTPRequestHead(version: .http1_1, method: .GET, uri: "/store/hero-banners"), body: nil), on: TestServices.group.next()).get()
            #expect(clean.xCache == "HIT")
            #expect(clean.text == first.text)
            #expect(!clean.text.contains("evil"))
            #expect(origin.requests.count == 1)
        } catch {
            Issue.record(error)
        }
        try? await pool.shutdown().get()
        await service.shutdown()
        try? await server.shutdown()
    }

    /// A fill asks the origin for the raw target, while the entry is keyed by the normalised
    /// path: `//store/hero-banners` (or `/store/./hero-banners`, `/store/x/../hero-banners`)
    /// fills the `/store/hero-banners` entry with the origin's answer to a different target.
    /// An origin that routes those targets differently (most do not collapse `//` or resolve
    /// `..` the same way) would have its answer to one URL served for another. Fix (in
    /// CacheEngine's fill): send the normalised path plus the query upstream.
    @Test func aFillAsksTheOriginForTheTargetItsKeyStandsFor() async throws {
        let origin = EchoOrigin()
        let server = try await HTTPServer.start(host: "127.0.0.1", port: 0, group: TestServices.group, responder: origin)
        let service = try await startBareProxy(upstreamPort: server.localPort)
        let pool = UpstreamPool(endpoint: try UpstreamEndpoint.parse("http://127.0.0.1:\(service.proxyPort)"), configuration: UpstreamPoolConfiguration(), group: TestServices.group)
        do {
            let first = try await pool.execute(UpstreamRequest(head: HTTPRequestHead(version: .http1_1, method: .GET, uri: "//store/x/../hero-banners"), body: nil), on: TestServices.group.next()).get()
            #expect(first.head.status == .ok)
            #expect(origin.requests.first?.uri == "/store/hero-banners")
        } catch {
            Issue.record(error)
        }
        try? await pool.shutdown().get()
        await service.shutdown()
        try? await server.shutdown()
    }
}
