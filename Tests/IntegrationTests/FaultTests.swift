import CatalogTestSupport
import CatalogCacheProxy
import CatalogHTTP
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// A client for the proxy port of `service`.
private func client(for service: ProxyService) throws -> UpstreamPool {
    var configuration = UpstreamPoolConfiguration()
    configuration.readTimeout = .seconds(20)
    configuration.totalTimeout = .seconds(30)
    return UpstreamPool(endpoint: try UpstreamEndpoint.parse("http://127.0.0.1:\(service.proxyPort)"), configuration: configuration, group: TestServices.group)
}

private func get(_ pool: UpstreamPool, _ uri: String, _ headers: [(String, String)] = []) async throws -> UpstreamResponse {
    var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: uri)
    for (name, value) in headers { head.headers.add(name: name, value: value) }
    return try await pool.execute(UpstreamRequest(head: head, body: nil), on: TestServices.group.next()).get()
}

/// Faults (Redis killed and restarted) and slow or excessive clients, on real sockets.
/// No test asserts a duration: deadlines are configured short and the tests wait for effects.
@Suite(.serialized) struct FaultTests {
    @Test func aKilledRedisOpensTheBreakerAndARestartedOneBringsHitsBackWithoutARestart() async throws {
        let origin = EchoOrigin()
        let server = try await HTTPServer.start(host: "127.0.0.1", port: 0, group: TestServices.group, responder: origin)
        let redis = KillableRedis(port: try await freeLoopbackPort())
        try await redis.start()
        let service = try await startBareProxy(upstreamPort: server.localPort) {
            $0.redisURL = redis.url
            $0.redisTimeoutMilliseconds = 2000
            $0.circuitBreakerFailures = 3
            $0.circuitBreakerCoolDownMilliseconds = 200
        }
        let pool = try client(for: service)
        let metrics = service.metrics
        do {
            #expect(try await get(pool, "/store/hero-banners").xCache == "MISS")
            #expect(try await eventually { try await get(pool, "/store/hero-banners").xCache == "HIT" })

            redis.kill()
            var statuses: [UInt] = []
            for _ in 0..<40 {
                let r = try await get(pool, "/store/hero-banners")
                statuses.append(r.head.status.code)
                #expect(r.text.contains("hero_banners"))
            }
            #expect(statuses.allSatisfy { $0 == 200 }, "a dead Redis must never cause a 5xx: \(statuses)")
            #expect(metrics.redisCircuitOpens.count >= 1)
            #expect(metrics.redisShortCircuited.count >= 1)
            #expect(metrics.render().contains("catalog_cache_redis_circuit_opens_total"))

            // Redis comes back on the same port, empty: after a cool-down a probe closes the
            // circuit, the next miss fills the entry, and hits resume on the same proxy.
            try await redis.start()
            let hitsBefore = metrics.requestCount(route: "hero_banners", outcome: .hit)
            let back = try await eventually(seconds: 20) {
                let r = try await get(pool, "/store/hero-banners")
                return r.head.status == .ok && metrics.requestCount(route: "hero_banners", outcome: .hit) > hitsBefore
            }
            #expect(back, "hits did not come back after Redis restarted")
        } catch {
            Issue.record(error)
        }
        try? await pool.shutdown().get()
        await service.shutdown()
        try? await server.shutdown()
        redis.kill()
    }

    @Test func connectionsOverTheLimitAreAcceptedAndClosedAtOnce() async throws {
        let server = try await HTTPServer.start(host: "127.0.0.1", port: 0, group: TestServices.group, responder: EchoOrigin())
        let service = try await startBareProxy(upstreamPort: server.localPort) { $0.maxConnections = 2 }
        do {
            let a = try RawHTTPClient(port: service.proxyPort)
            let b = try RawHTTPClient(port: service.proxyPort)
            for c in [a, b] {
                try await c.send("GET /store/carts/1 HTTP/1.1\r\nHost: s\r\n\r\n")
                #expect(try await c.readResponse().statusCode == 200)
            }
            let third = try RawHTTPClient(port: service.proxyPort)
            #expect(try await third.isClosedByPeer())
            #expect(service.metrics.connectionsRejected.count == 1)
            #expect(service.connections.count == 2)
            #expect(service.metrics.render().contains("catalog_cache_connections_rejected_total 1\n"))
            // The admitted connections are unaffected.
            try await a.send("GET /store/carts/2 HTTP/1.1\r\nHost: s\r\n\r\n")
            #expect(try await a.readResponse().statusCode == 200)
        } catch {
            Issue.record(error)
        }
        await service.shutdown()
        try? await server.shutdown()
    }

    @Test func aSlowHeadGets408AndAnIdleConnectionIsClosed() async throws {
        let server = try await HTTPServer.start(host: "127.0.0.1", port: 0, group: TestServices.group, responder: EchoOrigin())
        let service = try await startBareProxy(upstreamPort: server.localPort) {
            $0.headerTimeoutMilliseconds = 300
            $0.idleTimeoutMilliseconds = 2000
        }
        do {
            let slow = try RawHTTPClient(port: service.proxyPort)
            try await slow.send("GET /store/hero-banners HTTP/1.1\r\nHost: s\r\n")  // never finished
            let r = try await slow.readResponse()
            #expect(r.statusCode == 408)
            #expect(r.body.contains("\"request_timeout\""))
            #expect(try await slow.isClosedByPeer())

            let idle = try RawHTTPClient(port: service.proxyPort)
            #expect(try await idle.isClosedByPeer())
            #expect(service.metrics.connectionTimeouts.count("header") == 1)
            #expect(service.metrics.connectionTimeouts.count("idle") == 1)
        } catch {
            Issue.record(error)
        }
        await service.shutdown()
        try? await server.shutdown()
    }

    @Test func shutdownRefusesNewConnectionsAndLetsARequestInFlightFinish() async throws {
        let gate = GatedUpstream()
        let server = try await HTTPServer.start(host: "127.0.0.1", port: 0, group: TestServices.group, responder: gate)
        let service = try await startBareProxy(upstreamPort: server.localPort)
        let port = service.proxyPort
        do {
            let inFlight = try RawHTTPClient(port: port)
            try await inFlight.send("GET /store/carts/1 HTTP/1.1\r\nHost: s\r\n\r\n")
            #expect(await eventually { gate.received == 1 })
            let idle = try RawHTTPClient(port: port)
            #expect(await eventually { service.connections.count == 2 })

            let shutdown = Task { await service.shutdown(grace: .seconds(30)) }
            #expect(await eventually { (try? RawHTTPClient(port: port)) == nil }, "new connections must be refused")
            #expect(try await idle.isClosedByPeer(), "an idle keep-alive connection is closed at once")
            gate.open()
            let r = try await inFlight.readResponse()
            #expect(r.statusCode == 200)
            #expect(r.headers["connection"] == "close")
            #expect(r.body.contains("hero_banners"))
            await shutdown.value
            #expect(service.connections.count == 0)
        } catch {
            Issue.record(error)
        }
        gate.open()
        await service.shutdown()
        try? await server.shutdown()
    }

    @Test func shutdownClosesWhatIsStillBusyWhenTheGraceRunsOut() async throws {
        let gate = GatedUpstream()
        let server = try await HTTPServer.start(host: "127.0.0.1", port: 0, group: TestServices.group, responder: gate)
        // The upstream request itself outlives the grace until its own timeout (the pool lets
        // requests in flight finish): keep that short so the test does not wait for it.
        let service = try await startBareProxy(upstreamPort: server.localPort) { $0.upstreamReadTimeoutMilliseconds = 500 }
        do {
            let stuck = try RawHTTPClient(port: service.proxyPort)
            try await stuck.send("GET /store/carts/1 HTTP/1.1\r\nHost: s\r\n\r\n")
            #expect(await eventually { gate.received == 1 })
            await service.shutdown(grace: .milliseconds(100))
            #expect(try await stuck.isClosedByPeer())
            #expect(service.connections.count == 0)
        } catch {
            Issue.record(error)
        }
        gate.open()
        try? await server.shutdown()
    }
}
