import CatalogRedis
import NIOCore
import Testing

/// Commands and replies against the shared test Redis (keys are unique per test).
@Suite(.enabled(if: RedisTestEnvironment.enabled, "set CATALOG_TEST_REDIS_URL (scripts/services)"))
struct RedisCommandTests {
    let group = RedisTestEnvironment.group

    func withClient(_ body: (RedisClient, EventLoop) async throws -> Void) async throws {
        let client = RedisClient(configuration: try RedisTestEnvironment.configuration(), group: group)
        do {
            try await body(client, group.any())
            await client.shutdown()
        } catch {
            await client.shutdown()
            throw error
        }
    }

    @Test func binaryValuesRoundTrip() async throws {
        try await withClient { (client: RedisClient, loop: EventLoop) async throws in
            let allBytes = (0...255).map { UInt8($0) }
            var large = [UInt8](repeating: 0, count: 1 << 20)
            for i in large.indices { large[i] = UInt8(truncatingIfNeeded: i &* 2_654_435_761 >> 7) }
            for value in [allBytes, [], large, [13, 10, 0, 36]] {
                let key = RedisTestEnvironment.uniqueKey()
                try await client.set(key, value: ByteBuffer(bytes: value), pxMilliseconds: 60_000, on: loop).get()
                let read = try await client.get(key, on: loop).get()
                #expect(read.map { Array($0.readableBytesView) } == value)
            }
        }
    }

    @Test func binaryKeys() async throws {
        try await withClient { (client: RedisClient, loop: EventLoop) async throws in
            var key = ByteBuffer(bytes: Array(RedisTestEnvironment.uniqueKey().utf8))
            key.writeBytes((0...255).map { UInt8($0) })
            var set = RedisCommand()
            set.append("SET"); set.append(key); set.append("v"); set.append("PX"); set.append(Int64(60_000))
            #expect(try await client.send(set, on: loop).get() == .simpleString("OK"))
            #expect(try await client.send(.get(key), on: loop).get().string == "v")
        }
    }

    @Test func missingKeyIsNullBulk() async throws {
        try await withClient { (client: RedisClient, loop: EventLoop) async throws in
            let key = RedisTestEnvironment.uniqueKey()
            #expect(try await client.get(key, on: loop).get() == nil)
            #expect(try await client.send(.get(key), on: loop).get() == .bulkString(nil))
        }
    }

    @Test func errorReplyFailsWithServerErrorAndConnectionStaysUsable() async throws {
        try await withClient { (client: RedisClient, loop: EventLoop) async throws in
            let error = await failure(of: client.send(RedisCommand("NOSUCHCOMMAND", "x"), on: loop))
            guard case .server(let message)? = error as? RedisError else {
                Issue.record("expected RedisError.server, got \(String(describing: error))")
                return
            }
            #expect(message.hasPrefix("ERR"))
            let key = RedisTestEnvironment.uniqueKey()
            _ = try await client.send(RedisCommand("SET", key, "not a number", "PX", "60000"), on: loop).get()
            let incr = await failure(of: client.send(RedisCommand("INCR", key), on: loop))
            #expect(incr as? RedisError == .server("ERR value is not an integer or out of range"))
            try await client.ping(on: loop).get()
        }
    }

    @Test func setsAndScriptsReturnArrays() async throws {
        try await withClient { (client: RedisClient, loop: EventLoop) async throws in
            let key = RedisTestEnvironment.uniqueKey()
            #expect(try await client.send(.sadd(key, members: ["a", "b", "c"]), on: loop).get() == .integer(3))
            _ = try await client.send(.pexpire(key, milliseconds: 60_000), on: loop).get()
            let members = try await client.send(.smembers(key), on: loop).get().array ?? []
            #expect(members.compactMap(\.string).sorted() == ["a", "b", "c"])

            let script = "return {1, 'two', {3, false}, redis.status_reply('FINE'), redis.error_reply('NOPE')}"
            let reply = try await client.send(.eval(script), on: loop).get()
            #expect(reply == .array([
                .integer(1), .bulkString(ByteBuffer(string: "two")), .array([.integer(3), .bulkString(nil)]),
                .simpleString("FINE"), .error("ERR NOPE"),
            ]))
            let echoed = try await client.send(.eval("return {KEYS[1], ARGV[1]}", keys: [key], args: [ByteBuffer(bytes: [0, 255])]), on: loop).get()
            #expect(echoed == .array([.bulkString(ByteBuffer(string: key)), .bulkString(ByteBuffer(bytes: [0, 255]))]))
        }
    }

    @Test func evalshaAndPublishAndDelete() async throws {
        try await withClient { (client: RedisClient, loop: EventLoop) async throws in
            let sha = try await client.send(RedisCommand("SCRIPT", "LOAD", "return ARGV[1]"), on: loop).get().string ?? ""
            #expect(try await client.send(.evalsha(sha, args: [ByteBuffer(string: "x")]), on: loop).get().string == "x")
            #expect(try await client.send(.publish("catalog-redis-test", message: "hi"), on: loop).get().integer != nil)
            let a = RedisTestEnvironment.uniqueKey(), b = RedisTestEnvironment.uniqueKey()
            try await client.set(a, value: ByteBuffer(string: "1"), pxMilliseconds: 60_000, on: loop).get()
            #expect(try await client.setIfAbsent(b, value: ByteBuffer(string: "1"), pxMilliseconds: 60_000, on: loop).get())
            #expect(try await !client.setIfAbsent(b, value: ByteBuffer(string: "2"), pxMilliseconds: 60_000, on: loop).get())
            #expect(try await client.send(.expire(b, seconds: 60), on: loop).get() == .integer(1))
            #expect(try await client.delete([a, b, RedisTestEnvironment.uniqueKey()], on: loop).get() == 2)
            #expect(try await client.send(.unlink([a]), on: loop).get() == .integer(0))
            #expect(await client.isHealthy())
        }
    }

    @Test func pipelinedCommandsAreAnsweredInOrder() async throws {
        try await withClient { (client: RedisClient, loop: EventLoop) async throws in
            let key = RedisTestEnvironment.uniqueKey()
            // 1000 commands issued in one event-loop tick: one write, replies in FIFO order.
            let futures = try await loop.submit {
                (0..<1000).map { _ in client.send(RedisCommand("INCR", key), on: loop) }
            }.get()
            var values: [Int64] = []
            for future in futures {
                #expect(future.eventLoop === loop)
                values.append(try await future.get().integer ?? -1)
            }
            #expect(values == Array(1...1000))
            _ = try await client.delete([key], on: loop).get()
        }
    }

    @Test func sendFromAnotherThreadCompletesOnTheGivenLoop() async throws {
        try await withClient { (client: RedisClient, loop: EventLoop) async throws in
            let future = client.send(.ping, on: loop)
            #expect(future.eventLoop === loop)
            #expect(try await future.get() == .simpleString("PONG"))
        }
    }

    @Test func selectedDatabaseIsIsolated() async throws {
        let base = try RedisTestEnvironment.configuration()
        let url = "redis://\(base.host):\(base.port)/3"
        var db3Configuration = try RedisConfiguration.parse(url: url)
        db3Configuration.commandTimeout = base.commandTimeout
        let db3 = RedisClient(configuration: db3Configuration, group: group)
        let db0 = RedisClient(configuration: base, group: group)
        let loop = group.any()
        let key = RedisTestEnvironment.uniqueKey()
        try await db3.set(key, value: ByteBuffer(string: "in-3"), pxMilliseconds: 60_000, on: loop).get()
        #expect(try await db3.get(key, on: loop).get() == ByteBuffer(string: "in-3"))
        #expect(try await db0.get(key, on: loop).get() == nil)
        #expect(try await db3.delete([key], on: loop).get() == 1)
        await db3.shutdown()
        await db0.shutdown()
    }

    @Test func shutdownFailsLaterCommands() async throws {
        let client = RedisClient(configuration: try RedisTestEnvironment.configuration(), group: group)
        let loop = group.any()
        try await client.ping(on: loop).get()
        await client.shutdown()
        #expect(await failure(of: client.ping(on: loop)) as? RedisError == .clientShutdown)
    }
}
