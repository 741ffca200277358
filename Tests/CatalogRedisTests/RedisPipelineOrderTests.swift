import CatalogRedis
import NIOCore
import Testing

/// Pipelining at volume: thousands of commands issued in one event-loop tick on one
/// connection, each reply matched to its own command (distinct keys and values, so a reply
/// handed to the wrong future, or a lost or duplicated one, fails the test).
@Suite(.enabled(if: RedisTestEnvironment.enabled, "set CATALOG_TEST_REDIS_URL (scripts/services)"))
struct RedisPipelineOrderTests {
    @Test func twentyThousandPipelinedCommandsEachGetTheirOwnReply() async throws {
        let group = RedisTestEnvironment.group
        let client = RedisClient(configuration: try RedisTestEnvironment.configuration(), group: group)
        let loop = group.any()
        let base = RedisTestEnvironment.uniqueKey()
        let count = 20_000
        // Half the keys are written (MSET in one command), half are left missing, interleaved.
        var mset = RedisCommand("MSET")
        for i in stride(from: 0, to: count, by: 2) { mset.append("\(base):\(i)"); mset.append("value-\(i)") }
        #expect(try await client.send(mset, on: loop).get() == .simpleString("OK"))

        let replies = try await loop.flatSubmit {
            let futures = (0..<count).map { client.get("\(base):\($0)", on: loop) }
            return EventLoopFuture.whenAllSucceed(futures, on: loop)
        }.get()
        #expect(replies.count == count)
        let mismatched = replies.indices.filter { i in
            replies[i] != (i % 2 == 0 ? ByteBuffer(string: "value-\(i)") : nil)
        }
        #expect(mismatched.isEmpty, "replies not matching their command at \(mismatched.prefix(5))")
        var del = RedisCommand("DEL")
        for i in stride(from: 0, to: count, by: 2) { del.append("\(base):\(i)") }
        _ = try await client.send(del, on: loop).get()
        await client.shutdown()
    }
}
