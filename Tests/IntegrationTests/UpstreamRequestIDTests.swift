import CatalogHTTP
import Foundation
import NIOHTTP1
import Synchronization
import Testing

/// An upstream that answers 200 and remembers each request's `X-Request-Id`.
final class RecordingUpstream: HTTPResponder {
    private let ids = Mutex<[String: [String]]>([:])

    func requestIDs(_ path: String) -> [String] { ids.withLock { $0[path] ?? [] } }

    func respond(to request: HTTPServerRequest) async -> HTTPServerResponse {
        ids.withLock { $0[request.path, default: []].append(contentsOf: request.headers["x-request-id"]) }
        return .json(.ok, "{\"ok\":true}")
    }
}

/// Request ids reach the upstream on forwards and fills: the client's when sane, else one
/// the proxy makes.
@Suite(.enabled(if: TestServices.enabled), .serialized)
struct UpstreamRequestIDTests {
    @Test func forwardsAndFillsCarryARequestID() async throws {
        try await withStack(triggers: false) { stack in
            let upstream = RecordingUpstream()
            let server = try await HTTPServer.start(host: "127.0.0.1", port: 0, group: TestServices.group, responder: upstream)
            defer { Task { try? await server.shutdown() } }
            let proxy = try await stack.startProxy(try stack.configuration(feed: false, upstreamPort: server.localPort))

            // A fill (cacheable route) with a sane client id: passed on as it is.
            #expect(try await proxy.get("/store/hero-banners", [("X-Request-Id", "lb-7f3a9c:42")]).xCache == "MISS")
            #expect(upstream.requestIDs("/store/hero-banners") == ["lb-7f3a9c:42"])
            // A hit reaches nothing.
            #expect(try await proxy.get("/store/hero-banners").xCache == "HIT")
            #expect(upstream.requestIDs("/store/hero-banners").count == 1)

            // A fill without one, and a forward with one that is not sane: the proxy's own ids.
            _ = try await proxy.get("/store/regions")
            _ = try await proxy.request(.POST, "/admin/products", headers: [("X-Request-Id", "has space")], body: "{}")
            _ = try await proxy.request(.POST, "/admin/products", headers: [("X-Request-Id", String(repeating: "a", count: 200))], body: "{}")
            let generated = upstream.requestIDs("/store/regions") + upstream.requestIDs("/admin/products")
            #expect(generated.count == 3)
            for id in generated { #expect(id.wholeMatch(of: /[0-9a-f]{12}-[0-9a-f]{6,}/) != nil, "\(id)") }
            #expect(Set(generated).count == 3)
            #expect(Set(generated.map { $0.prefix(12) }).count == 1, "one prefix per process")
        }
    }
}
