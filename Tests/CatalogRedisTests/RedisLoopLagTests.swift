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
        configuration.commandTimeout = .milliseconds(100)
        let loop = RedisTestEnvironment.group.any()
        let connection = try await RedisConnection.connect(configuration: configuration, on: loop).get()
        let error = await failure(of: connection.send(RedisCommand("DEBUG", "SLEEP", "0.5")))
        #expect(error as? RedisError == .timeout)
    }
}
