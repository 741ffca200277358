import CatalogRedis
import NIOCore
import NIOPosix
import Testing

/// Failures: each test that needs Redis to misbehave starts its OWN redis-server.
@Suite struct RedisFaultTests {
    let group = RedisTestEnvironment.group

    @Test func connectToClosedPortFailsFast() async throws {
        let port = try await freePort()
        let client = RedisClient(configuration: RedisConfiguration.generous(port: port), group: group)
        let loop = group.any()
        let first = await failure(of: client.get("k", on: loop))
        guard case .connectFailed? = first as? RedisError else {
            Issue.record("expected connectFailed, got \(String(describing: first))")
            return
        }
        // Within the backoff the same error comes back without a new attempt.
        guard case .connectFailed? = await failure(of: client.ping(on: loop)) as? RedisError else {
            Issue.record("expected connectFailed during backoff")
            return
        }
        #expect(await client.isHealthy() == false)
        await client.shutdown()
    }

    @Test func authAndSelectOnConnect() async throws {
        let server = try await OwnRedisServer.start(["--requirepass", "s3cret"])
        defer { server.stop() }
        let loop = group.any()
        let good = RedisClient(configuration: try RedisConfiguration.parse(url: "redis://:s3cret@127.0.0.1:\(server.port)/3").generous(), group: group)
        try await good.set("k", value: ByteBuffer(string: "v"), pxMilliseconds: 60_000, on: loop).get()
        #expect(try await good.send(RedisCommand("CLIENT", "INFO"), on: loop).get().string?.contains(" db=3 ") == true)

        let bad = RedisClient(configuration: try RedisConfiguration.parse(url: "redis://:wrong@127.0.0.1:\(server.port)").generous(), group: group)
        guard case .connectFailed(let reason)? = await failure(of: bad.ping(on: loop)) as? RedisError else {
            Issue.record("expected connectFailed for a wrong password")
            return
        }
        #expect(reason.contains("WRONGPASS") || reason.contains("invalid"))
        await good.shutdown()
        await bad.shutdown()
    }

    @Test func reconnectsAfterClientKill() async throws {
        let server = try await OwnRedisServer.start()
        defer { server.stop() }
        let loop = group.any()
        let client = RedisClient(configuration: RedisConfiguration.generous(port: server.port), group: group)
        try await client.set("k", value: ByteBuffer(string: "before"), pxMilliseconds: 60_000, on: loop).get()

        let admin = try await RedisConnection.connect(configuration: RedisConfiguration.generous(port: server.port), on: loop).get()
        let killed = try await admin.send(RedisCommand("CLIENT", "KILL", "TYPE", "normal")).get()
        #expect((killed.integer ?? 0) >= 1)

        // The first command may race the close (and fail with connectionClosed); the client
        // must then reconnect lazily and succeed.
        var closedFailures = 0
        var value: ByteBuffer??
        while value == nil, closedFailures <= 1 {
            do {
                value = try await client.get("k", on: loop).get()
            } catch RedisError.connectionClosed {
                closedFailures += 1
            }
        }
        #expect(value == .some(ByteBuffer(string: "before")))
        #expect(closedFailures <= 1)
        // The killed connection was replaced: the server sees two clients again.
        let clients = try await admin.send(RedisCommand("CLIENT", "LIST")).get().string ?? ""
        #expect(clients.split(separator: "\n").count == 2)
        try await admin.close().get()
        await client.shutdown()
    }

    @Test func commandTimeoutClosesTheConnectionAndFailsPending() async throws {
        let server = try await OwnRedisServer.start()
        defer { server.stop() }
        let loop = group.any()
        let configuration = RedisConfiguration(port: server.port, commandTimeout: .milliseconds(100))
        let connection = try await RedisConnection.connect(configuration: configuration, on: loop).get()
        let (sleep, ping) = try await loop.submit {
            (connection.send(RedisCommand("DEBUG", "SLEEP", "1")), connection.send(.ping))
        }.get()
        #expect(await failure(of: sleep) as? RedisError == .timeout)
        let pingError = await failure(of: ping) as? RedisError
        #expect(pingError == .timeout || pingError == .connectionClosed)
        try await connection.closeFuture.get()
        #expect(!connection.isActive)
        #expect(await failure(of: connection.send(.ping)) as? RedisError == .connectionClosed)

        // The client replaces a timed-out connection once Redis answers again.
        let client = RedisClient(configuration: configuration, group: group)
        #expect(await failure(of: client.send(RedisCommand("DEBUG", "SLEEP", "1"), on: loop)) as? RedisError == .timeout)
        var healthy = false
        for _ in 0..<100 where !healthy {
            healthy = try await client.isHealthy(on: loop).get()
            if !healthy { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(healthy)
        await client.shutdown()
    }

    @Test func garbageFromServerIsAProtocolError() async throws {
        let loop = group.any()
        let server = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(GarbageResponder())
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = server.localAddress!.port!
        let connection = try await RedisConnection.connect(configuration: RedisConfiguration.generous(port: port), on: loop).get()
        let futures = try await loop.submit { (0..<3).map { _ in connection.send(.ping) } }.get()
        for future in futures {
            guard case .protocolError(let reason)? = await failure(of: future) as? RedisError else {
                Issue.record("expected protocolError")
                continue
            }
            #expect(reason.contains("Protocol error"))
        }
        try await connection.closeFuture.get()
        #expect(!connection.isActive)
        try await server.close().get()
    }
}

/// A fake "Redis" that answers anything with bytes that are not RESP.
final class GarbageResponder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "garbage\r\n")), promise: nil)
    }
}
