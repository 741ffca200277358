import CatalogCacheCore
import CatalogCacheProxy
import CatalogHTTP
import CatalogTestSupport
import Testing

/// Pipelined requests on a real socket: the proxy's connection handler holds what arrives
/// behind a request until that request is answered, and answers in order.
@Suite(.serialized) struct PipeliningTests {
    @Test func pipelinedRequestsWaitForTheOneBeforeThemAndAreAnsweredInOrder() async throws {
        let gate = GatedUpstream()
        let server = try await HTTPServer.start(host: "127.0.0.1", port: 0, group: TestServices.group, responder: gate)
        let service = try await startBareProxy(upstreamPort: server.localPort)
        do {
            let c = try RawHTTPClient(port: service.proxyPort)
            try await c.send(
                "GET /store/hero-banners HTTP/1.1\r\nHost: s\r\n\r\n"
                    + "HEAD /store/hero-banners HTTP/1.1\r\nHost: s\r\n\r\n"
                    + "GET /store/carts/1 HTTP/1.1\r\nHost: s\r\n\r\n"
                    + "BROKEN\r\n\r\n"
            )
            #expect(await eventually { gate.received == 1 })
            // The cart request (a pass) would reach the upstream at once if it were not held.
            #expect(await !eventually(seconds: 0.3) { gate.received > 1 }, "a pipelined request was processed before the one in front of it was answered")
            gate.open()
            let first = try await c.readResponse()
            #expect(first.statusCode == 200)
            #expect(first.headers["x-cache"] == "MISS")
            let second = try await c.readResponse(head: true)
            #expect(second.statusCode == 200)
            #expect(second.headers["x-cache"] == "HIT")
            #expect(second.headers["content-length"] == String(first.body.utf8.count))
            let third = try await c.readResponse()
            #expect(third.statusCode == 200)
            #expect(third.headers["x-cache"] == "BYPASS")
            let fourth = try await c.readResponse()
            #expect(fourth.statusCode == 400)
            #expect(fourth.body.hasPrefix("{\"error\":\"bad_request\""))
            #expect(try await c.isClosedByPeer())
            #expect(gate.received == 2)
            #expect(service.metrics.requestCount(outcome: .hit) == 1)
        } catch {
            Issue.record(error)
        }
        gate.open()
        await service.shutdown()
        try? await server.shutdown()
    }
}
