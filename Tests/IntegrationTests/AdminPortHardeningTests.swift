import CatalogCacheCore
import CatalogCacheProxy
import CatalogHTTP
import CatalogTestSupport
import Foundation
import Testing

/// The admin port has the proxy port's limits (connections, idle and header timeouts, head
/// size, no upgrades), answers only to allowed Host names, and needs a token when set.
@Suite(.serialized, .enabled(if: TestServices.enabled)) struct AdminPortHardeningTests {
    func withProxy(_ adjust: @escaping (inout ProxyConfiguration) -> Void = { _ in }, _ body: (ProxyService) async throws -> Void) async throws {
        let server = try await HTTPServer.start(host: "127.0.0.1", port: 0, group: TestServices.group, responder: EchoOrigin())
        let service = try await startBareProxy(upstreamPort: server.localPort, adjust)
        var failure: Error?
        do { try await body(service) } catch { failure = error }
        await service.shutdown()
        try? await server.shutdown()
        if let failure { throw failure }
    }

    @Test func aForeignHostIsRefusedAndLoopbackNamesAreServed() async throws {
        try await withProxy { service in
            let client = try RawHTTPClient(port: service.adminPort)
            // A DNS-rebinding page: the browser names the attacker's host.
            try await client.send("GET /stats.json HTTP/1.1\r\nHost: attacker.example:\(service.adminPort)\r\n\r\n")
            let refused = try await client.readResponse()
            #expect(refused.statusCode == 403)
            #expect(refused.body.contains("\"host_not_allowed\""))
            try await client.send("GET /stats.json HTTP/1.1\r\nHost: localhost:\(service.adminPort)\r\n\r\n")
            #expect(try await client.readResponse().statusCode == 200)
            try await client.send("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:\(service.adminPort)\r\n\r\n")
            #expect(try await client.readResponse().statusCode == 200)
        }
    }

    @Test func aConfiguredTokenIsRequired() async throws {
        let token = "0123456789abcdef-token"
        try await withProxy({ $0.adminToken = token }) { service in
            let client = try RawHTTPClient(port: service.adminPort)
            try await client.send("GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n")
            let refused = try await client.readResponse()
            #expect(refused.statusCode == 401)
            #expect(refused.headers["www-authenticate"] == "Bearer")
            try await client.send("GET /metrics HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer wrong-token-wrong-token\r\n\r\n")
            #expect(try await client.readResponse().statusCode == 401)
            try await client.send("GET /metrics HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(token)\r\n\r\n")
            #expect(try await client.readResponse().statusCode == 200)
        }
    }

    @Test func aNonLoopbackAdminAddressNeedsAToken() async throws {
        let server = try await HTTPServer.start(host: "127.0.0.1", port: 0, group: TestServices.group, responder: EchoOrigin())
        await #expect(throws: ConfigurationError.self) {
            let service = try await startBareProxy(upstreamPort: server.localPort) { $0.adminListen = ListenAddress(host: "0.0.0.0", port: 0) }
            await service.shutdown()
        }
        try? await server.shutdown()
    }

    @Test func aSlowHeadAndAnIdleConnectionAreClosed() async throws {
        try await withProxy({ $0.headerTimeoutMilliseconds = 300; $0.idleTimeoutMilliseconds = 600 }) { service in
            let slow = try RawHTTPClient(port: service.adminPort)
            try await slow.send("GET /metrics HTTP/1.1\r\nHost: localhost\r\n")  // never finished
            #expect(try await slow.isClosedByPeer())
            let idle = try RawHTTPClient(port: service.adminPort)
            #expect(try await idle.isClosedByPeer())
        }
    }

    @Test func connectionsOverTheLimitAreClosed() async throws {
        try await withProxy({ $0.adminMaxConnections = 2 }) { service in
            let a = try RawHTTPClient(port: service.adminPort)
            let b = try RawHTTPClient(port: service.adminPort)
            for c in [a, b] {
                try await c.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
                #expect(try await c.readResponse().statusCode == 200)
            }
            let third = try RawHTTPClient(port: service.adminPort)
            #expect(try await third.isClosedByPeer())
        }
    }

    @Test func anUpgradeIsRefusedAndNothingAfterItIsKept() async throws {
        try await withProxy { service in
            let client = try RawHTTPClient(port: service.adminPort)
            try await client.send("GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n" + String(repeating: "x", count: 1000))
            let refused = try await client.readResponse()
            #expect(refused.statusCode == 400)
            #expect(refused.body.contains("\"upgrade_refused\""))
            #expect(try await client.isClosedByPeer())
        }
    }

    @Test func anOversizedHeadIsRefused() async throws {
        try await withProxy { service in
            let client = try RawHTTPClient(port: service.adminPort)
            try await client.send("GET /metrics HTTP/1.1\r\nHost: localhost\r\nX-Big: \(String(repeating: "a", count: 9000))\r\n\r\n")
            #expect(try await client.readResponse().statusCode == 400)
            #expect(try await client.isClosedByPeer())
        }
    }
}
