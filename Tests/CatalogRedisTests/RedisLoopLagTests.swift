import CatalogRedis
import Foundation
import NIOCore
import NIOPosix
import Testing

/// A reply Redis sent in time is not a timeout because the event loop was too busy to read
/// it before the timer: a proxy saturating its own core must not take that for a Redis
/// failure (and open the circuit breaker, sending the load to the origin).
@Suite(.enabled(if: RedisTestEnvironment.enabled, "set CATALOG_TEST_REDIS_URL (scripts/services)"))
struct RedisLoopLagTests {
    @Test func aReplyWaitingBehindABlockedLoopIsNotATimeout() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        var configuration = try RedisTestEnvironment.configuration()
        configuration.commandTimeout = .milliseconds(50)
        let connection = try await RedisConnection.connect(configuration: configuration, on: loop).get()
        let key = RedisTestEnvironment.uniqueKey()
        _ = try await connection.send(.set(key, value: ByteBuffer(string: "v"), pxMilliseconds: 60_000)).get()

        for _ in 0..<5 {
            // The GET is written at the end of this tick; then the loop is kept busy for four
            // timeouts, during which Redis answers into the socket's buffer.
            let reply = try await loop.submit {
                let reply = connection.send(.get(key))
                loop.execute { usleep(200_000) }
                return reply
            }.get()
            #expect(try await reply.get() == .bulkString(ByteBuffer(string: "v")))
        }
        try await connection.close().get()
        try await group.shutdownGracefully()
    }

    @Test func aSlowRedisStillTimesOut() async throws {
        let server = try await OwnRedisServer.start()
        defer { server.stop() }
        var configuration = RedisConfiguration.generous(port: server.port)
        configuration.commandTimeout = .milliseconds(200)
        let loop = RedisTestEnvironment.group.any()
        let connection = try await RedisConnection.connect(configuration: configuration, on: loop).get()
        let error = await failure(of: connection.send(RedisCommand("DEBUG", "SLEEP", "1")))
        #expect(error as? RedisError == .timeout)
    }

    /// Redis does not answer in time, but neither did the loop run in time: the timeout says
    /// nothing about Redis, and it and every command pending behind it fail with
    /// `.timedOutWhileLoopLagged` (which the circuit breaker does not count as a fault).
    @Test func aTimeoutWhileTheLoopLagsIsNotTakenForASlowRedis() async throws {
        let server = try await OwnRedisServer.start()
        defer { server.stop() }
        var configuration = RedisConfiguration.generous(port: server.port)
        configuration.commandTimeout = .milliseconds(50)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let connection = try await RedisConnection.connect(configuration: configuration, on: loop).get()
        // Redis sleeps two seconds; the loop is blocked for six timeouts right after the writes.
        let (slow, behind) = try await loop.submit {
            let slow = connection.send(RedisCommand("DEBUG", "SLEEP", "2"))
            let behind = connection.send(.get(RedisTestEnvironment.uniqueKey()))
            loop.execute { usleep(300_000) }
            return (slow, behind)
        }.get()
        #expect(await failure(of: slow) as? RedisError == .timedOutWhileLoopLagged)
        #expect(await failure(of: behind) as? RedisError == .timedOutWhileLoopLagged)
        try await group.shutdownGracefully()
    }
}
