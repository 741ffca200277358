import CatalogCacheCore
import CatalogCacheProxy
import CatalogHTTP
import CatalogTestSupport
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

/// `/readyz` says whether this instance can serve: the store, the feed within its staleness
/// policy, not draining. The upstream's health is reported from what requests observe.
@Suite(.enabled(if: TestServices.enabled), .serialized)
struct ReadinessTests {
    @Test func aDeadUpstreamIsReportedFromRequestsWithoutAProbeAndDoesNotMakeTheInstanceUnready() async throws {
        try await withStack(triggers: false) { stack in
            let gated = GatedUpstream()
            gated.open()
            let upstream = try await HTTPServer.start(host: "127.0.0.1", port: 0, group: TestServices.group, responder: gated)
            let proxy = try await stack.startProxy(try stack.configuration(feed: false, upstreamPort: upstream.localPort))
            #expect(try await proxy.get("/store/hero-banners").xCache == "MISS")
            let ready = try await proxy.adminGet("/readyz")
            #expect(ready.head.status == .ok && ready.text.contains("\"upstream\":\"up\""), "\(ready.text)")
            #expect(gated.received == 1, "/readyz must not send requests of its own")
            try await upstream.shutdown()
            for i in 0..<5 { #expect(try await proxy.get("/store/products?limit=\(i + 1)").head.status == .badGateway) }
            let down = try await proxy.adminGet("/readyz")
            #expect(down.head.status == .ok, "hits and stale copies can still be served: \(down.text)")
            #expect(down.text.contains("\"upstream\":\"down\"") && down.text.contains("\"upstream_failures_in_a_row\":5"), "\(down.text)")
            #expect(try await proxy.get("/store/hero-banners").xCache == "HIT")
        }
    }

    @Test func aConfiguredProbePathIsAskedInsteadOfAHardCodedOne() async throws {
        try await withStack(triggers: false) { stack in
            let origin = RecordingOrigin()
            let upstream = try await HTTPServer.start(host: "127.0.0.1", port: 0, group: TestServices.group, responder: origin)
            var configuration = try stack.configuration(feed: false, upstreamPort: upstream.localPort)
            configuration.upstreamHealthProbePath = "/health/deep"
            let proxy = try await stack.startProxy(configuration)
            let ready = try await proxy.adminGet("/readyz")
            #expect(ready.head.status == .ok && ready.text.contains("\"upstream_probe\":\"200\""), "\(ready.text)")
            #expect(origin.targets == ["/health/deep"])
            try await upstream.shutdown()
        }
    }

    @Test func aFeedDownBeyondItsBoundIsUnreadyAndWithoutABoundOnlyReported() async throws {
        try await withStack(triggers: false) { stack in
            var bounded = try stack.configuration(feed: true)
            bounded.databaseURL = "postgres://nobody@127.0.0.1:1/none"
            bounded.feedDownMaxAgeSeconds = 0
            let strict = try await stack.startProxy(bounded, waitForFeed: false)
            #expect(try await eventually { try await strict.adminGet("/readyz").head.status == .serviceUnavailable })
            #expect(try await strict.adminGet("/readyz").text.contains("\"reasons\":[\"feed_down_beyond_policy\"]"))
            var unbounded = bounded
            unbounded.feedDownMaxAgeSeconds = nil
            let lenient = try await stack.startProxy(unbounded, waitForFeed: false)
            let ready = try await lenient.adminGet("/readyz")
            #expect(ready.head.status == .ok && !ready.text.contains("\"invalidation_feed\":\"listening\""), "\(ready.text)")
        }
    }

    @Test func drainingAnswers503WhileRequestsAreStillServed() async throws {
        try await withStack(triggers: false) { stack in
            let proxy = try await stack.startProxy(try stack.configuration(feed: false))
            #expect(try await proxy.adminGet("/readyz").head.status == .ok)
            let draining = Task { await proxy.service.drain(for: .seconds(3600)) }
            #expect(await eventually { proxy.service.isDraining })
            let ready = try await proxy.adminGet("/readyz")
            #expect(ready.head.status == .serviceUnavailable && ready.text.contains("\"reasons\":[\"draining\"]"), "\(ready.text)")
            #expect(try await proxy.get("/store/regions").head.status == .ok)
            #expect(try await proxy.adminGet("/livez").head.status == .ok)
            draining.cancel()
        }
    }

    @Test func sigtermDrainsThenRefusesNewConnections() async throws {
        let file = ReloadTests.ConfigFile()
        try file.write(try ReloadTests.shippedText { $0.replacingOccurrences(of: "drain_delay_ms: 5000", with: "drain_delay_ms: 10000") })
        let serve = try await ServeProcess(config: file.path, upstream: "http://127.0.0.1:1")
        defer { serve.stop() }
        func readiness() async -> Int? { await serve.admin("/readyz")?.statusCode }
        #expect(await eventually(seconds: 30) { await readiness() == 200 })
        serve.signal(SIGTERM)
        #expect(await eventually(seconds: 10) { await readiness() == 503 })
        // Draining: still accepting and serving on the proxy port.
        let during = try RawHTTPClient(port: serve.port)
        try await during.send("GET /store/carts/x HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try await during.readResponse().statusCode == 502)
        #expect(await eventually(seconds: 30) { (try? RawHTTPClient(port: serve.port)) == nil }, "after the drain delay the listener closes")
        // Required: reading how a running process ended would crash the whole test run.
        try #require(await eventually(seconds: 30) { !serve.isRunning })
        #expect(serve.process.terminationReason == .exit && serve.process.terminationStatus == 0)
    }
}

/// An upstream that records the targets it was asked for and answers 200 `{}`.
final class RecordingOrigin: HTTPResponder {
    private let seen = Mutex<[String]>([])
    var targets: [String] { seen.withLock { $0 } }
    func respond(to request: HTTPServerRequest) async -> HTTPServerResponse {
        seen.withLock { $0.append(request.path) }
        return .json(.ok, "{}")
    }
}
