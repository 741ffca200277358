import CatalogTestSupport
import CatalogHTTP
import Foundation
import Testing

/// `catalog-cache serve` stopped by SIGTERM while a request is in flight.
@Suite(.serialized) struct SignalShutdownTests {
    @Test func sigtermRefusesNewConnectionsLetsTheRequestInFlightFinishAndExitsZero() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: CommandLineTests.binary), "build first: \(CommandLineTests.binary)")
        let gate = GatedUpstream()
        let upstream = try await HTTPServer.start(host: "127.0.0.1", port: 0, group: TestServices.group, responder: gate)
        let port = try await freeLoopbackPort()
        let adminPort = try await freeLoopbackPort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLineTests.binary)
        process.arguments = [
            "serve", "--listen", "127.0.0.1:\(port)", "--admin-listen", "127.0.0.1:\(adminPort)",
            "--upstream", "http://127.0.0.1:\(upstream.localPort)",
        ]
        process.currentDirectoryURL = TestServices.packageRoot
        var env = ProcessInfo.processInfo.environment
        for name in ["UPSTREAM_URL", "CACHE_REDIS_URL", "DATABASE_URL"] { env[name] = nil }
        process.environment = env
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        do {
            #expect(await eventually(seconds: 30) { (try? RawHTTPClient(port: port)) != nil }, "the proxy did not start")
            let inFlight = try RawHTTPClient(port: port)
            try await inFlight.send("GET /store/carts/1 HTTP/1.1\r\nHost: s\r\n\r\n")
            #expect(await eventually(seconds: 10) { gate.received == 1 })

            kill(process.processIdentifier, SIGTERM)
            #expect(await eventually(seconds: 30) { (try? RawHTTPClient(port: port)) == nil }, "new connections must be refused (after limits.drain_delay_ms)")
            #expect(process.isRunning, "the process must wait for the request in flight")
            gate.open()
            let r = try await inFlight.readResponse()
            #expect(r.statusCode == 200)
            #expect(r.headers["connection"] == "close")
            #expect(await eventually(seconds: 20) { !process.isRunning })
            #expect(process.terminationReason == .exit && process.terminationStatus == 0)
        } catch {
            Issue.record(error)
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        gate.open()
        try? await upstream.shutdown()
    }
}
