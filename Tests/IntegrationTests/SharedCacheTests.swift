import CatalogCacheCore
import CatalogCacheProxy
import CatalogHTTP
import CatalogTestSupport
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

/// An origin answering each path with headers chosen by the test, recording what it received.
final class ScriptedOrigin: HTTPResponder {
    typealias Script = @Sendable (_ request: HTTPServerRequest, _ n: Int, _ now: Int64) -> HTTPServerResponse
    private let state = Mutex<(scripts: [String: Script], requests: [HTTPServerRequest])>(([:], []))
    let clock: ManualClock

    init(clock: ManualClock) { self.clock = clock }

    func on(_ path: String, _ script: @escaping Script) { state.withLock { $0.scripts[path] = script } }

    func requests(_ path: String) -> [HTTPServerRequest] { state.withLock { $0.requests.filter { $0.path == path } } }

    func respond(to request: HTTPServerRequest) async -> HTTPServerResponse {
        let (script, n) = state.withLock { s -> (Script?, Int) in
            s.requests.append(request)
            return (s.scripts[request.path], s.requests.filter { $0.path == request.path }.count)
        }
        guard let script else { return HTTPServerResponse(status: .notFound) }
        var response = script(request, n, clock.nowMilliseconds())
        if !response.headers.contains(name: "date") { response.headers.add(name: "Date", value: HTTPDate.format(clock.nowMilliseconds() / 1000)) }
        return response
    }

    /// `200` with `body` and the given header fields.
    static func ok(_ body: String, _ headers: [(String, String)]) -> HTTPServerResponse {
        var h = HTTPHeaders()
        for (name, value) in headers { h.add(name: name, value: value) }
        return HTTPServerResponse(status: .ok, headers: h, body: ByteBuffer(string: body))
    }
}

/// Origin-controlled routes (RFC 9111) end to end: real Redis, the proxy, and an origin that
/// sends each header combination. Time is a `ManualClock` shared by the origin and the proxy.
@Suite(.serialized, .enabled(if: TestServices.enabled)) struct SharedCacheTests {
    struct Harness {
        let origin: ScriptedOrigin
        let proxy: ProxyService
        let client: UpstreamPool
        let clock: ManualClock

        func get(_ uri: String, _ headers: [(String, String)] = [], method: HTTPMethod = .GET) async throws -> UpstreamResponse {
            var head = HTTPRequestHead(version: .http1_1, method: method, uri: uri)
            for (name, value) in headers { head.headers.add(name: name, value: value) }
            return try await client.execute(UpstreamRequest(head: head, body: nil), on: TestServices.group.next()).get()
        }
    }

    func withHarness(_ body: (Harness) async throws -> Void) async throws {
        guard let redisURL = TestServices.redisURL else { throw ServicesMissing() }
        let clock = ManualClock(milliseconds: (Int64(Date().timeIntervalSince1970) / 1000) * 1_000_000)
        let origin = ScriptedOrigin(clock: clock)
        let server = try await HTTPServer.start(host: "127.0.0.1", port: 0, group: TestServices.group, responder: origin)
        var c = try ConfigurationLoader.load(path: TestServices.packageRoot.appendingPathComponent("config/examples/shared-cache.yaml").path)
        c.listen = ListenAddress(host: "127.0.0.1", port: 0)
        c.adminListen = ListenAddress(host: "127.0.0.1", port: 0)
        c.upstreamURL = "http://127.0.0.1:\(server.localPort)"
        c.redisURL = redisURL
        c.databaseURL = nil
        c.keyPrefix = "rfc_it_\(UInt32.random(in: 0...UInt32.max)):"
        c.redisTimeoutMilliseconds = 5000
        var logger = Logger(label: "test-proxy")
        logger.logLevel = .error
        let proxy = try await ProxyService.start(configuration: c, group: TestServices.group, clock: clock, logger: logger)
        let client = UpstreamPool(endpoint: try UpstreamEndpoint.parse("http://127.0.0.1:\(proxy.proxyPort)"), configuration: UpstreamPoolConfiguration(), group: TestServices.group)
        let harness = Harness(origin: origin, proxy: proxy, client: client, clock: clock)
        var failure: Error?
        do { try await body(harness) } catch { failure = error }
        try? await client.shutdown().get()
        await proxy.shutdown()
        try? await server.shutdown()
        if let failure { throw failure }
    }

    static let explicitFreshness: [(String, [(String, String)])] = [
        ("max-age", [("Cache-Control", "max-age=60")]),
        ("s-maxage", [("Cache-Control", "max-age=0, s-maxage=60")]),
        ("expires", []),  // Expires set by the script from the clock
        ("cdn-cache-control", [("CDN-Cache-Control", "max-age=60"), ("Cache-Control", "no-store")]),
    ]

    @Test(arguments: explicitFreshness) func explicitFreshnessIsHonouredThenExpires(_ c: (String, [(String, String)])) async throws {
        try await withHarness { h in
            let headers = c.1
            h.origin.on("/fresh") { _, n, now in
                var fields = headers
                if fields.isEmpty { fields = [("Expires", HTTPDate.format(now / 1000 + 60))] }
                return ScriptedOrigin.ok("v\(n)", fields)
            }
            let r1 = try await h.get("/fresh")
            #expect(r1.text == "v1")
            h.clock.advance(bySeconds: 30)
            let hit = try await h.get("/fresh")
            #expect(hit.text == "v1" && hit.xCache == "HIT")
            #expect(hit.header("age") == "30")
            #expect(h.origin.requests("/fresh").count == 1)
            h.clock.advance(bySeconds: 31)
            let r2 = try await h.get("/fresh")
            #expect(r2.text == "v2")
            #expect(h.origin.requests("/fresh").count == 2)
        }
    }

    @Test(arguments: ["no-store", "private", "max-age=60, no-store", "max-age=60, private"]) func notStored(_ cacheControl: String) async throws {
        try await withHarness { h in
            h.origin.on("/ns") { _, n, _ in ScriptedOrigin.ok("v\(n)", [("Cache-Control", cacheControl), ("ETag", "\"e\"")]) }
            let r3 = try await h.get("/ns")
            #expect(r3.text == "v1")
            let r4 = try await h.get("/ns")
            #expect(r4.text == "v2")
            #expect(h.origin.requests("/ns").count == 2)
        }
    }

    @Test func noCacheRevalidatesAndA304UpdatesTheStoredHeaders() async throws {
        try await withHarness { h in
            h.origin.on("/nc") { request, n, _ in
                if request.headers.first(name: "if-none-match") == "\"v1\"" {
                    return HTTPServerResponse(status: .notModified, headers: ["ETag": "\"v1\"", "X-Version": "\(n)", "Cache-Control": "no-cache"])
                }
                return ScriptedOrigin.ok("body", [("Cache-Control", "no-cache"), ("ETag", "\"v1\""), ("X-Version", "\(n)")])
            }
            let first = try await h.get("/nc")
            #expect(first.text == "body" && first.header("x-version") == "1")
            let second = try await h.get("/nc")
            #expect(second.head.status == .ok && second.text == "body" && second.header("x-version") == "2")
            #expect(h.origin.requests("/nc").count == 2)
            #expect(h.origin.requests("/nc").last?.headers.first(name: "if-none-match") == "\"v1\"")
            // The update was stored: a client conditional is answered 304 from it after revalidating.
            let third = try await h.get("/nc", [("If-None-Match", "\"v1\"")])
            #expect(third.head.status == .notModified && third.header("x-version") == "3")
            #expect(h.proxy.metrics.revalidations.count == 2)
        }
    }

    @Test func varyVariantsAreStoredSideBySide() async throws {
        try await withHarness { h in
            h.origin.on("/vary") { request, _, _ in
                ScriptedOrigin.ok("lang=\(request.headers.first(name: "accept-language") ?? "none")", [("Cache-Control", "max-age=60"), ("Vary", "Accept-Language")])
            }
            for _ in 0..<2 {
                let r5 = try await h.get("/vary", [("Accept-Language", "en")])
                #expect(r5.text == "lang=en")
                let r6 = try await h.get("/vary", [("Accept-Language", "fr")])
                #expect(r6.text == "lang=fr")
                let r7 = try await h.get("/vary")
                #expect(r7.text == "lang=none")
            }
            // Normalised values select the same variant.
            let r8 = try await h.get("/vary", [("Accept-Language", "en ")])
            #expect(r8.text == "lang=en")
            #expect(h.origin.requests("/vary").count == 3)
        }
    }

    @Test func varyStarIsNeverReused() async throws {
        try await withHarness { h in
            h.origin.on("/star") { _, n, _ in ScriptedOrigin.ok("v\(n)", [("Cache-Control", "max-age=60"), ("Vary", "*")]) }
            let r9 = try await h.get("/star")
            #expect(r9.text == "v1")
            let r10 = try await h.get("/star")
            #expect(r10.text == "v2")
        }
    }

    @Test(arguments: [("max-age=60", false), ("public, max-age=60", true), ("s-maxage=60", true), ("must-revalidate, max-age=60", true)])
    func authorizationRule(_ c: (String, Bool)) async throws {
        try await withHarness { h in
            h.origin.on("/auth") { _, n, _ in ScriptedOrigin.ok("v\(n)", [("Cache-Control", c.0)]) }
            _ = try await h.get("/auth", [("Authorization", "Bearer a")])
            _ = try await h.get("/auth", [("Authorization", "Bearer a")])
            #expect(h.origin.requests("/auth").count == (c.1 ? 1 : 2))
        }
    }

    @Test func onlyIfCachedIs504WhenNothingFits() async throws {
        try await withHarness { h in
            h.origin.on("/oic") { _, n, _ in ScriptedOrigin.ok("v\(n)", [("Cache-Control", "max-age=60")]) }
            let r11 = try await h.get("/oic", [("Cache-Control", "only-if-cached")])
            #expect(r11.head.status == .gatewayTimeout)
            #expect(h.origin.requests("/oic").isEmpty)
            _ = try await h.get("/oic")
            let r12 = try await h.get("/oic", [("Cache-Control", "only-if-cached")])
            #expect(r12.text == "v1")
            h.clock.advance(bySeconds: 61)
            let r13 = try await h.get("/oic", [("Cache-Control", "only-if-cached")])
            #expect(r13.head.status == .gatewayTimeout)
            #expect(h.origin.requests("/oic").count == 1)
        }
    }

    // Methods the cache does not know (PURGE, MKCOL) invalidate too; methods NIO's HTTP parser
    // does not know at all are refused with 400 before they reach the cache.
    @Test(arguments: ["POST", "PUT", "PATCH", "DELETE", "PURGE", "MKCOL"]) func unsafeMethodsInvalidate(_ method: String) async throws {
        try await withHarness { h in
            for path in ["/target", "/located", "/content-located", "/elsewhere"] {
                h.origin.on(path) { request, n, _ in
                    if request.method == .GET { return ScriptedOrigin.ok("v\(n)", [("Cache-Control", "max-age=600")]) }
                    return ScriptedOrigin.ok("done", [("Location", "/located"), ("Content-Location", "http://other.example/elsewhere")])
                }
            }
            for path in ["/target", "/located", "/elsewhere"] { _ = try await h.get(path) }
            let write = try await h.get("/target", method: HTTPMethod(rawValue: method))
            #expect(write.head.status == .ok)
            let r14 = try await h.get("/target")
            #expect(r14.text == "v3")  // GET, write, GET
            let r15 = try await h.get("/located")
            #expect(r15.text == "v2")
            let r16 = try await h.get("/elsewhere")
            #expect(r16.text == "v1")  // another origin's URI: kept
        }
    }

    @Test func anErrorAnswerDoesNotInvalidate() async throws {
        try await withHarness { h in
            h.origin.on("/keep") { request, n, _ in
                request.method == .GET ? ScriptedOrigin.ok("v\(n)", [("Cache-Control", "max-age=600")]) : HTTPServerResponse(status: .internalServerError)
            }
            _ = try await h.get("/keep")
            _ = try await h.get("/keep", method: .POST)
            let r17 = try await h.get("/keep")
            #expect(r17.text == "v1")
        }
    }

    /// The test origin's server writes its own `Connection` field, so fields named by an
    /// origin's `Connection` are covered by `StoredHeadersTests` and the conformance suite;
    /// here: the fixed hop-by-hop fields in responses (stored and served), and
    /// `Connection`-named fields of requests.
    @Test func hopByHopFieldsAreNeitherStoredNorForwarded() async throws {
        try await withHarness { h in
            h.origin.on("/hop") { _, n, _ in
                ScriptedOrigin.ok("v\(n)", [("Cache-Control", "max-age=60"), ("Keep-Alive", "timeout=5"), ("Upgrade", "h2c"), ("Proxy-Authenticate", "Basic"), ("X-Kept", "k")])
            }
            for expected in ["MISS", "HIT"] {
                let response = try await h.get("/hop", [("Connection", "X-Client-Hop"), ("X-Client-Hop", "1")])
                #expect(response.xCache == expected)
                #expect(response.header("keep-alive") == nil && response.header("upgrade") == nil && response.header("proxy-authenticate") == nil)
                #expect(response.header("x-kept") == "k")
            }
            #expect(h.origin.requests("/hop").first?.headers.first(name: "x-client-hop") == nil)
        }
    }

    @Test func partialContentIsPassedOnUntouched() async throws {
        try await withHarness { h in
            h.origin.on("/range") { request, n, _ in
                if request.headers.first(name: "range") != nil {
                    return HTTPServerResponse(status: .partialContent, headers: ["Content-Range": "bytes 0-1/4", "Cache-Control": "max-age=60"], body: ByteBuffer(string: "ab"))
                }
                return ScriptedOrigin.ok("abc\(n)", [("Cache-Control", "max-age=60")])
            }
            let partial = try await h.get("/range", [("Range", "bytes=0-1")])
            #expect(partial.head.status == .partialContent && partial.text == "ab" && partial.header("content-range") == "bytes 0-1/4")
            let r18 = try await h.get("/range")
            #expect(r18.text == "abc2")
            let r19 = try await h.get("/range", [("Range", "bytes=0-1")])
            #expect(r19.head.status == .partialContent)
            #expect(h.origin.requests("/range").count == 3)
        }
    }

    @Test func staleWhileRevalidateServesStaleAndRefreshes() async throws {
        try await withHarness { h in
            h.origin.on("/swr") { _, n, _ in ScriptedOrigin.ok("v\(n)", [("Cache-Control", "max-age=10, stale-while-revalidate=60")]) }
            _ = try await h.get("/swr")
            h.clock.advance(bySeconds: 20)
            let stale = try await h.get("/swr")
            #expect(stale.text == "v1" && stale.xCache == "STALE")
            #expect(await eventually { h.origin.requests("/swr").count == 2 })
            #expect(await eventually { (try? await h.get("/swr").text) == "v2" })
        }
    }
}
