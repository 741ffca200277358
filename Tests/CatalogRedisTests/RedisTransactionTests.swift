import CatalogRedis
import NIOCore
import NIOPosix
import Testing

@Suite(.enabled(if: RedisTestEnvironment.enabled, "set CATALOG_TEST_REDIS_URL (scripts/services)"))
struct RedisTransactionTests {
    /// Several connections per loop and many transactions at once: each MULTI ... EXEC must go
    /// out back to back on one connection, or Redis answers "MULTI calls can not be nested" /
    /// "EXEC without MULTI".
    @Test func concurrentTransactionsOnPooledConnectionsNeverInterleave() async throws {
        var configuration = try RedisTestEnvironment.configuration()
        configuration.connectionsPerEventLoop = 4
        let client = RedisClient(configuration: configuration, group: RedisTestEnvironment.group)
        let key = RedisTestEnvironment.uniqueKey()
        let replies = try await withThrowingTaskGroup(of: [RESPValue].self) { group in
            for i in 0..<200 {
                group.addTask {
                    try await client.transaction([
                        RedisCommand("HINCRBY", key, "n", "1"),
                        RedisCommand("HSET", key, "last", String(i)),
                        RedisCommand("EXPIRE", key, "60"),
                    ])
                }
            }
            var out: [[RESPValue]] = []
            for try await r in group { out.append(r) }
            return out
        }
        #expect(replies.count == 200)
        #expect(replies.allSatisfy { $0.count == 3 && $0[2] == .integer(1) })
        #expect(Set(replies.compactMap { $0[0].integer }) == Set(1...200), "each increment saw its own count")
        #expect(try await client.send(RedisCommand("HGET", key, "n")).string == "200")
        _ = try await client.send(RedisCommand("DEL", key))
        await client.shutdown()
    }

    @Test func aCommandRejectedWhileQueueingAbortsTheWholeTransaction() async throws {
        let client = RedisClient(configuration: try RedisTestEnvironment.configuration(), group: RedisTestEnvironment.group)
        let key = RedisTestEnvironment.uniqueKey()
        await #expect(throws: RedisError.self) {
            try await client.transaction([RedisCommand("SET", key, "1"), RedisCommand("NOT-A-COMMAND")])
        }
        #expect(try await client.send(RedisCommand("EXISTS", key)).integer == 0)
        // A run-time error (wrong type) is an element of EXEC's reply; the rest still ran.
        let replies = try await client.transaction([RedisCommand("SET", key, "x"), RedisCommand("HINCRBY", key, "f", "1")])
        #expect(replies.first == .simpleString("OK"))
        if case .error = replies.last {} else { Issue.record("expected a WRONGTYPE error element, got \(replies)") }
        _ = try await client.send(RedisCommand("DEL", key))
        await client.shutdown()
    }
}
