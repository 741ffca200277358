import CatalogCacheCore
import CatalogRedis
import Foundation
import NIOCore
import Testing

/// The client against the 6-node cluster `scripts/services` starts (3 primaries, a replica
/// each). Serialized: the migration and failover tests change which node serves what.
@Suite(.enabled(if: RedisTestEnvironment.enabled), .serialized)
struct RedisClusterTests {
    static func clusterConfiguration() throws -> RedisConfiguration {
        guard let url = ProcessInfo.processInfo.environment["CATALOG_TEST_REDIS_CLUSTER_URL"] else {
            Issue.record("CATALOG_TEST_REDIS_CLUSTER_URL is not set; run scripts/services start DIR and source DIR/env")
            throw RedisTestEnvironment.MissingService()
        }
        return try RedisConfiguration.parse(url: url).generous()
    }

    static func withClient(_ body: (RedisClient, EventLoop) async throws -> Void) async throws {
        let client = RedisClient(configuration: try clusterConfiguration(), group: RedisTestEnvironment.group)
        do {
            try await body(client, RedisTestEnvironment.group.any())
        } catch {
            await client.shutdown()
            throw error
        }
        await client.shutdown()
    }

    @Test func keySlots_matchTheServersClusterKeyslot() async throws {
        try await Self.withClient { client, loop in
            var keys = ["", "{", "}", "{}", "{}{x}", "a{b}c", "a{{b}}", "{user1000}.following", "ключ", "\u{0}bin"]
            for index in 0..<300 { keys.append("k\(index):\(UUID().uuidString.prefix(index % 20))") }
            for key in keys {
                let reply = try await client.send(RedisCommand("CLUSTER", "KEYSLOT", key), on: loop).get()
                #expect(reply.integer.map(Int.init) == ClusterKeySlot.slot(of: key), "\(key.debugDescription)")
            }
        }
    }

    /// Keys land on all three primaries, each on the node that serves its slot (asked
    /// directly: a wrong node would answer MOVED).
    @Test func keys_spreadOverEveryPrimary() async throws {
        try await Self.withClient { client, loop in
            let prefix = "spread:\(UUID().uuidString):"
            for index in 0..<60 {
                try await client.set("\(prefix)\(index)", value: ByteBuffer(string: "v\(index)"), pxMilliseconds: 60_000, on: loop).get()
            }
            var owners: Set<RedisAddress> = []
            for index in 0..<60 {
                let key = "\(prefix)\(index)"
                let owner = try #require(client.clusterPrimary(forSlot: ClusterKeySlot.slot(of: key)))
                owners.insert(owner)
                let direct = try await RedisConnection.connect(configuration: .generous(port: owner.port), on: loop).get()
                #expect(try await direct.send(.get(key)).get().string == "v\(index)")
                try await direct.close().get()
                #expect(try await client.get(key, on: loop).get() == ByteBuffer(string: "v\(index)"))
            }
            #expect(owners.count == 3)
        }
    }

    @Test func crossSlotCommands_areRefusedBeforeSending() async throws {
        try await Self.withClient { client, loop in
            let tag = UUID().uuidString
            let error = await failure(of: client.send(RedisCommand("MGET", "a:\(tag)", "b:\(tag)"), on: loop))
            guard case .crossSlot = error as? RedisError else {
                Issue.record("expected CROSSSLOT, got \(String(describing: error))")
                return
            }
            // Keys sharing a tag work, in a transaction too.
            let replies = try await client.transaction([
                RedisCommand("SET", "{\(tag)}a", "1"), RedisCommand("INCR", "{\(tag)}a"), RedisCommand("GET", "{\(tag)}a"),
            ], on: loop).get()
            #expect(replies.last?.string == "2")
            #expect(try await client.send(RedisCommand("DEL", "{\(tag)}a", "{\(tag)}b"), on: loop).get().integer == 1)
            let spanning = await failure(of: client.transaction([RedisCommand("SET", "a:\(tag)", "1"), RedisCommand("SET", "b:\(tag)", "1")], on: loop))
            guard case .crossSlot = spanning as? RedisError else {
                Issue.record("expected CROSSSLOT for the transaction, got \(String(describing: spanning))")
                return
            }
        }
    }

    /// No seed answers: a bounded number of retries, then one error naming every seed.
    @Test func unreachableSeeds_failWithOneErrorNamingThem() async throws {
        let (first, second) = (try await freePort(), try await freePort())
        let client = RedisClient(configuration: try RedisConfiguration.parse(url: "redis-cluster://127.0.0.1:\(first),127.0.0.1:\(second)").generous(), group: RedisTestEnvironment.group)
        let error = await failure(of: client.send(.get("k"), on: RedisTestEnvironment.group.any()))
        await client.shutdown()
        guard case .clusterUnavailable(let reason) = error as? RedisError else {
            Issue.record("expected clusterUnavailable, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("no node answered CLUSTER SLOTS"))
        #expect(reason.contains("127.0.0.1:\(first)") && reason.contains("127.0.0.1:\(second)"))
    }
}
