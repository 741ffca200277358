import CatalogHTTP
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

/// The pool against a real server on 127.0.0.1. No test asserts a duration: timeouts are
/// configured short so that the expected error comes quickly, and waits are bounded.
@Suite struct UpstreamPoolTests {
    private static func configuration(_ change: (inout UpstreamPoolConfiguration) -> Void = { _ in }) -> UpstreamPoolConfiguration {
        var configuration = UpstreamPoolConfiguration()
        configuration.connectTimeout = .seconds(2)
        configuration.readTimeout = .seconds(5)
        configuration.totalTimeout = .seconds(10)
        change(&configuration)
        return configuration
    }

    /// Runs `body` with a two-loop group, a server and a pool, and tears them down.
    private func withPool(
        configuration: UpstreamPoolConfiguration = configuration(),
        behaviour: @escaping @Sendable (TestUpstreamServer.Received) -> TestUpstreamServer.Reply,
        _ body: (UpstreamPool, TestUpstreamServer, any EventLoopGroup) async throws -> Void
    ) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let server = try await TestUpstreamServer.start(group: group, behaviour: behaviour)
        let pool = UpstreamPool(endpoint: server.endpoint, configuration: configuration, group: group)
        do {
            try await body(pool, server, group)
        } catch {
            try? await pool.shutdown().get()
            try? await server.stop()
            try? await group.shutdownGracefully()
            throw error
        }
        try await pool.shutdown().get()
        try await server.stop()
        try await group.shutdownGracefully()
    }

    private func error(of future: EventLoopFuture<UpstreamResponse>) async -> UpstreamError? {
        do {
            _ = try await future.get()
            return nil
        } catch {
            return error as? UpstreamError
        }
    }

    /// Polls `condition` until it holds or `limit` passes (then the test fails on its own check).
    private func eventually(_ limit: Duration = .seconds(5), _ condition: () -> Bool) async throws {
        let clock = ContinuousClock()
        let end = clock.now + limit
        while !condition(), clock.now < end {
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    // MARK: Keep-alive

    @Test func sequentialRequestsReuseOneConnection() async throws {
        try await withPool(behaviour: { .raw(RawResponse.ok("hi " + $0.head.uri)) }) { pool, server, group in
            let loop = group.next()
            for index in 0..<5 {
                let response = try await pool.execute(UpstreamRequest(uri: "/\(index)"), on: loop).get()
                #expect(String(buffer: response.body) == "hi /\(index)")
            }
            #expect(server.acceptedConnections == 1)
            #expect(pool.stats.createdTotal == 1)
            #expect(pool.stats.idle == 1)
            #expect(server.snapshot.requests.allSatisfy { $0.head.headers["host"] == ["127.0.0.1:\(server.port)"] })
        }
    }

    @Test(arguments: [
        RawResponse.ok("x", extraHeaders: "Connection: close\r\n"),
        "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx",
    ])
    func responsesThatEndKeepAliveAreNotReused(reply: String) async throws {
        try await withPool(behaviour: { _ in .raw(reply) }) { pool, server, group in
            let loop = group.next()
            for _ in 0..<3 {
                _ = try await pool.execute(UpstreamRequest(uri: "/"), on: loop).get()
            }
            #expect(server.acceptedConnections == 3)
            try await eventually { pool.stats.open == 0 }
            #expect(pool.stats.open == 0)
        }
    }

    @Test func failedConnectionIsNotReused() async throws {
        try await withPool(behaviour: { received in
            received.head.uri == "/broken" ? .raw("NOT HTTP\r\n\r\n") : .raw(RawResponse.ok("ok"))
        }) { pool, server, group in
            let loop = group.next()
            guard case .malformedResponse = await error(of: pool.execute(UpstreamRequest(uri: "/broken"), on: loop)) else {
                Issue.record("expected malformedResponse")
                return
            }
            _ = try await pool.execute(UpstreamRequest(uri: "/fine"), on: loop).get()
            #expect(server.acceptedConnections == 2)
        }
    }

    @Test func idleConnectionClosedByServerIsReplaced() async throws {
        // The server closes after each response without saying so.
        try await withPool(behaviour: { _ in .rawThenClose(RawResponse.ok("ok")) }) { pool, server, group in
            let loop = group.next()
            _ = try await pool.execute(UpstreamRequest(uri: "/1"), on: loop).get()
            try await eventually { pool.stats.open == 0 }
            _ = try await pool.execute(UpstreamRequest(uri: "/2"), on: loop).get()
            #expect(server.acceptedConnections == 2)
            #expect(server.requestCount == 2)
        }
    }

    // MARK: Framing over a socket

    @Test func chunkedAndReadUntilCloseBodies() async throws {
        try await withPool(behaviour: { received in
            switch received.head.uri {
            case "/chunked": return .raw(RawResponse.chunked(["abc", "defg"]))
            default: return .rawThenClose("HTTP/1.1 200 OK\r\n\r\nuntil close")
            }
        }) { pool, _, group in
            let loop = group.next()
            let chunked = try await pool.execute(UpstreamRequest(uri: "/chunked"), on: loop).get()
            #expect(String(buffer: chunked.body) == "abcdefg")
            let untilClose = try await pool.execute(UpstreamRequest(uri: "/close"), on: loop).get()
            #expect(String(buffer: untilClose.body) == "until close")
        }
    }

    @Test func requestBodyArrivesWithContentLength() async throws {
        try await withPool(behaviour: { .raw(RawResponse.ok("got " + $0.body)) }) { pool, server, group in
            let request = UpstreamRequest(method: .POST, uri: "/orders", body: ByteBuffer(string: "{\"sku\":7}"))
            let response = try await pool.execute(request, on: group.next()).get()
            #expect(String(buffer: response.body) == "got {\"sku\":7}")
            let received = try #require(server.snapshot.requests.first)
            #expect(received.head.headers["content-length"] == ["9"])
            #expect(received.head.headers["transfer-encoding"].isEmpty)
        }
    }

    // MARK: Never retry

    @Test(arguments: [HTTPMethod.POST, .GET])
    func connectionDroppedMidResponseIsReceivedOnceAndFails(method: HTTPMethod) async throws {
        try await withPool(behaviour: { _ in
            .rawThenClose("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
        }) { pool, server, group in
            let request = UpstreamRequest(method: method, uri: "/orders", body: method == .POST ? ByteBuffer(string: "x") : nil)
            let failure = await error(of: pool.execute(request, on: group.next()))
            #expect(failure == .connectionClosedBeforeResponse)
            // Give a (wrong) retry every chance to reach the server before counting.
            try await eventually(.milliseconds(200)) { server.requestCount > 1 }
            #expect(server.requestCount == 1)
            #expect(server.acceptedConnections == 1)
        }
    }

    // MARK: Timeouts

    @Test func connectionRefusedIsConnectFailed() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let pool = UpstreamPool(
            endpoint: UpstreamEndpoint(host: "127.0.0.1", port: 1), configuration: Self.configuration(), group: group
        )
        let failure = await error(of: pool.execute(UpstreamRequest(uri: "/"), on: group.next()))
        guard case .connectFailed = failure else {
            Issue.record("expected connectFailed, got \(String(describing: failure))")
            return
        }
        #expect(failure?.isTimeout == false)
        try await pool.shutdown().get()
        try await group.shutdownGracefully()
    }

    @Test func listenerThatNeverAcceptsIsConnectTimeout() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        // A listener that never calls accept(2) with a tiny backlog: once its queue is full
        // the kernel drops further SYNs, so connecting hangs.
        let listener = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1)
            .serverChannelOption(.autoRead, value: false)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(listener.localAddress?.port)
        var fillers: [any Channel] = []
        for _ in 0..<8 {
            let filler = try? await ClientBootstrap(group: group).connectTimeout(.milliseconds(200))
                .connect(host: "127.0.0.1", port: port).get()
            guard let filler else { break }
            fillers.append(filler)
        }
        let pool = UpstreamPool(
            endpoint: UpstreamEndpoint(host: "127.0.0.1", port: port),
            configuration: Self.configuration { $0.connectTimeout = .milliseconds(200) },
            group: group
        )
        let failure = await error(of: pool.execute(UpstreamRequest(uri: "/"), on: group.next()))
        #expect(failure == .connectTimeout)
        #expect(failure?.isTimeout == true)
        try await pool.shutdown().get()
        for filler in fillers { try? await filler.close() }
        try await listener.close()
        try await group.shutdownGracefully()
    }

    @Test func silentServerIsReadTimeoutAndConnectionIsDropped() async throws {
        try await withPool(
            configuration: Self.configuration { $0.readTimeout = .milliseconds(200) },
            behaviour: { $0.head.uri == "/silent" ? .never : .raw(RawResponse.ok("ok")) }
        ) { pool, server, group in
            let loop = group.next()
            #expect(await error(of: pool.execute(UpstreamRequest(uri: "/silent"), on: loop)) == .readTimeout)
            #expect(pool.stats.open == 0)
            try await eventually { server.snapshot.current == 0 }
            #expect(server.snapshot.current == 0)
            _ = try await pool.execute(UpstreamRequest(uri: "/ok"), on: loop).get()
            #expect(server.acceptedConnections == 2)
        }
    }

    @Test func totalTimeoutCoversSlowResponsesAndQueuedRequests() async throws {
        try await withPool(
            configuration: Self.configuration {
                $0.totalTimeout = .milliseconds(300)
                $0.maxConnectionsPerEventLoop = 1
            },
            behaviour: { _ in .delayed(.seconds(3), .raw(RawResponse.ok("late"))) }
        ) { pool, server, group in
            let loop = group.next()
            let inFlight = pool.execute(UpstreamRequest(uri: "/1"), on: loop)
            let queued = pool.execute(UpstreamRequest(uri: "/2"), on: loop)
            #expect(await error(of: inFlight) == .totalTimeout)
            #expect(await error(of: queued) == .totalTimeout)
            #expect(server.requestCount <= 2)
            #expect(server.snapshot.requests.map(\.head.uri).filter { $0 == "/1" }.count == 1)
        }
    }

    @Test func oversizeResponseFailsAndClosesTheConnection() async throws {
        try await withPool(
            configuration: Self.configuration { $0.maxResponseBodySize = 10 },
            behaviour: { .raw(RawResponse.ok($0.head.uri == "/big" ? String(repeating: "x", count: 11) : "small")) }
        ) { pool, server, group in
            let loop = group.next()
            #expect(await error(of: pool.execute(UpstreamRequest(uri: "/big"), on: loop)) == .responseTooLarge)
            _ = try await pool.execute(UpstreamRequest(uri: "/small"), on: loop).get()
            #expect(server.acceptedConnections == 2)
        }
    }

    // MARK: Concurrency

    @Test func manyConcurrentRequestsStayWithinTheConnectionLimit() async throws {
        try await withPool(
            configuration: Self.configuration { $0.maxConnectionsPerEventLoop = 8 },
            behaviour: { .delayed(.milliseconds(2), .raw(RawResponse.ok($0.head.uri))) }
        ) { pool, server, group in
            let loops = Array(group.makeIterator())
            #expect(loops.count == 2)
            let futures = (0..<200).map { index in
                pool.execute(UpstreamRequest(uri: "/\(index)"), on: loops[index % 2])
            }
            for (index, future) in futures.enumerated() {
                let response = try await future.get()
                #expect(String(buffer: response.body) == "/\(index)")
            }
            #expect(server.requestCount == 200)
            #expect(server.snapshot.maxConcurrent <= 16)
            #expect(pool.stats.open <= 16)
            #expect(pool.stats.createdTotal <= 16)
            #expect(pool.stats.queued == 0)
            #expect(pool.stats.inFlight == 0)
        }
    }

    @Test func queuedRequestsAreServedInOrder() async throws {
        try await withPool(
            configuration: Self.configuration { $0.maxConnectionsPerEventLoop = 1 },
            behaviour: { .delayed(.milliseconds(1), .raw(RawResponse.ok($0.head.uri))) }
        ) { pool, server, group in
            let loop = group.next()
            let futures = (0..<30).map { pool.execute(UpstreamRequest(uri: "/\($0)"), on: loop) }
            for future in futures { _ = try await future.get() }
            #expect(server.snapshot.requests.map(\.head.uri) == (0..<30).map { "/\($0)" })
            #expect(server.acceptedConnections == 1)
        }
    }

    @Test func poolExhaustedWhenQueueIsFull() async throws {
        try await withPool(
            configuration: Self.configuration {
                $0.maxConnectionsPerEventLoop = 1
                $0.maxQueuedRequestsPerEventLoop = 1
            },
            behaviour: { _ in .delayed(.milliseconds(50), .raw(RawResponse.ok("ok"))) }
        ) { pool, _, group in
            let loop = group.next()
            let first = pool.execute(UpstreamRequest(uri: "/1"), on: loop)
            let second = pool.execute(UpstreamRequest(uri: "/2"), on: loop)
            let third = pool.execute(UpstreamRequest(uri: "/3"), on: loop)
            #expect(await error(of: third) == .poolExhausted(maxQueued: 1))
            _ = try await first.get()
            _ = try await second.get()
        }
    }

    // MARK: Shutdown

    @Test func shutdownFailsQueuedLetsInFlightFinishAndClosesEverything() async throws {
        try await withPool(
            configuration: Self.configuration { $0.maxConnectionsPerEventLoop = 1 },
            // Long enough that shutdown() is certainly called while /1 is still in flight,
            // even on a machine loaded by the whole suite running in parallel.
            behaviour: { _ in .delayed(.seconds(3), .raw(RawResponse.ok("done"))) }
        ) { pool, server, group in
            let loop = group.next()
            let inFlight = pool.execute(UpstreamRequest(uri: "/1"), on: loop)
            let queued = pool.execute(UpstreamRequest(uri: "/2"), on: loop)
            try await eventually { server.requestCount == 1 }
            let shutdown = pool.shutdown()
            #expect(await error(of: queued) == .shutDown)
            #expect(String(buffer: try await inFlight.get().body) == "done")
            try await shutdown.get()
            #expect(pool.stats.open == 0)
            #expect(await error(of: pool.execute(UpstreamRequest(uri: "/3"), on: loop)) == .shutDown)
            try await eventually { server.snapshot.current == 0 }
            #expect(server.snapshot.current == 0)
            #expect(server.requestCount == 1)
        }
    }

    @Test func shutdownClosesIdleConnections() async throws {
        try await withPool(behaviour: { _ in .raw(RawResponse.ok("ok")) }) { pool, server, group in
            _ = try await pool.execute(UpstreamRequest(uri: "/"), on: group.next()).get()
            #expect(pool.stats.idle == 1)
            try await pool.shutdown().get()
            #expect(pool.stats.open == 0)
            try await eventually { server.snapshot.current == 0 }
            #expect(server.snapshot.current == 0)
        }
    }
}
