import CatalogRedis
import NIOCore
import Testing

/// A pipelining smoke test at volume: 20,000 GETs issued in one event-loop tick on one
/// connection, every reply checked. Prints the elapsed time; asserts nothing about it.
@Suite(.enabled(if: RedisTestEnvironment.enabled, "set CATALOG_TEST_REDIS_URL (scripts/services)"))
struct RedisPipelineThroughputTests {
    @Test func twentyThousandPipelinedGets() async throws {
        let group = RedisTestEnvironment.group
        let client = RedisClient(configuration: try RedisTestEnvironment.configuration(), group: group)
        let loop = group.any()
        let key = RedisTestEnvironment.uniqueKey()
        try await client.set(key, value: ByteBuffer(string: "xxx"), pxMilliseconds: 60_000, on: loop).get()

        let clock = ContinuousClock()
        let start = clock.now
        let all = try await loop.flatSubmit {
            let futures = (0..<20_000).map { _ in client.get(key, on: loop) }
            return EventLoopFuture.whenAllSucceed(futures, on: loop)
        }.get()
        let elapsed = clock.now - start
        #expect(all.count == 20_000)
        #expect(all.allSatisfy { $0 == ByteBuffer(string: "xxx") })
        print("20000 pipelined GETs on one connection: \(elapsed) (\(Int(20_000 / (Double(elapsed.components.attoseconds) / 1e18 + Double(elapsed.components.seconds)))) requests/s)")
        await client.shutdown()
    }
}
