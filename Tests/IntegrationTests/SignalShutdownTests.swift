import CatalogTestSupport
import CatalogHTTP
import Foundation
import Testing

/// `catalog-cache serve` stopped by SIGTERM while a request is in flight.
@Suite(.serialized) struct SignalShutdownTests {
    @Test func sigtermRefusesNewConnectionsLetsTheRequestInFlightFinishAndExitsZero() async throws {
        let gate = GatedUpstream()
        let upstream = try await HTTPServer.start(host: "127.0.0.1", port: 0, group: TestServices.group, responder: gate)
        let serve = try await ServeProcess(upstream: "http://127.0.0.1:\(upstream.localPort)")
        let port = serve.port
        do {
            #expect(await eventually(seconds: 30) { (try? RawHTTPClient(port: port)) != nil }, "the proxy did not start")
            let inFlight = try RawHTTPClient(port: port)
            try await inFlight.send("GET /store/carts/1 HTTP/1.1\r\nHost: s\r\n\r\n")
            #expect(await eventually(seconds: 10) { gate.received == 1 })

            serve.signal(SIGTERM)
            #expect(await eventually(seconds: 30) { (try? RawHTTPClient(port: port)) == nil }, "new connections must be refused (after limits.drain_delay_ms)")
            #expect(serve.isRunning, "the process must wait for the request in flight")
            gate.open()
            let r = try await inFlight.readResponse()
            #expect(r.statusCode == 200)
            #expect(r.headers["connection"] == "close")
            try #require(await eventually(seconds: 20) { !serve.isRunning })
            #expect(serve.process.terminationReason == .exit && serve.process.terminationStatus == 0)
        } catch {
            Issue.record(error)
        }
        serve.stop()
        gate.open()
        try? await upstream.shutdown()
    }
}
