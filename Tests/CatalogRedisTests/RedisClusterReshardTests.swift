import CatalogCacheCore
import CatalogRedis
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Testing

/// The client while the cluster changes under it: a slot migrated by hand (ASK, TRYAGAIN,
/// then MOVED) and a manual failover. Each leaves the cluster healthy, with the slot or
/// the primary role moved.
@Suite(.enabled(if: RedisTestEnvironment.enabled), .serialized)
struct RedisClusterReshardTests {
    @Test func slotMigration_isFollowedThroughAskThenMoved() async throws {
        try await RedisClusterTests.withClient { client, loop in
            let moves = NIOLockedValueBox<[RedisAddress]>([])
            client.onPrimaryChange { address in moves.withLockedValue { $0.append(address) } }
            let tag = "migrate-\(UUID().uuidString)"
            let slot = ClusterKeySlot.slot(of: tag)
            let (a, b, c) = ("{\(tag)}a", "{\(tag)}b", "{\(tag)}c")
            _ = try await client.send(RedisCommand("MSET", a, "1", b, "2"), on: loop).get()
            let source = try #require(client.clusterPrimary(forSlot: slot))
            let nodes = try await ClusterAdmin.nodes(via: source)
            let sourceNode = try #require(nodes.first { $0.address == source })
            let target = try #require(nodes.first { $0.isPrimary && $0.address != source })

            _ = try await ClusterAdmin.send(target.address, "CLUSTER", "SETSLOT", "\(slot)", "IMPORTING", sourceNode.id)
            _ = try await ClusterAdmin.send(source, "CLUSTER", "SETSLOT", "\(slot)", "MIGRATING", target.id)
            _ = try await ClusterAdmin.send(source, "MIGRATE", target.address.host, "\(target.address.port)", "", "0", "30000", "KEYS", a)

            // The source no longer has `a` and says ASK; the client follows it and keeps its map.
            let direct = try await ClusterAdmin.send(source, [.get(a)])[0]
            guard case .failure(RedisError.server(let message)) = direct, message.hasPrefix("ASK \(slot) ") else {
                Issue.record("the source should answer ASK for a migrated key, got \(direct)")
                return
            }
            #expect(try await client.get(a, on: loop).get() == ByteBuffer(string: "1"))
            #expect(try await client.get(b, on: loop).get() == ByteBuffer(string: "2"))
            #expect(client.clusterPrimary(forSlot: slot) == source)
            // A key created mid-migration is made on the target (ASKING, then SET there).
            try await client.set(c, value: ByteBuffer(string: "3"), pxMilliseconds: 600_000, on: loop).get()
            let onTarget = try await ClusterAdmin.send(target.address, [RedisCommand("ASKING"), .get(c)])
            #expect(try onTarget[1].get().string == "3")

            // Keys of the slot split between two nodes: TRYAGAIN, retried a bounded number
            // of times, then one clear error.
            let split = await failure(of: client.send(RedisCommand("MGET", a, b), on: loop))
            guard case .clusterUnavailable(let reason) = split as? RedisError, reason.contains("TRYAGAIN") else {
                Issue.record("expected TRYAGAIN to end in clusterUnavailable, got \(String(describing: split))")
                return
            }

            // Finish: move `b`, then give the slot to the target on every primary.
            _ = try await ClusterAdmin.send(source, "MIGRATE", target.address.host, "\(target.address.port)", "", "0", "30000", "KEYS", b)
            _ = try await ClusterAdmin.send(target.address, "CLUSTER", "SETSLOT", "\(slot)", "NODE", target.id)
            for node in nodes where node.isPrimary && node.address != target.address {
                _ = try await ClusterAdmin.send(node.address, "CLUSTER", "SETSLOT", "\(slot)", "NODE", target.id)
            }
            // The client still routes to the source, which now answers MOVED: followed, remembered.
            #expect(try await client.get(a, on: loop).get() == ByteBuffer(string: "1"))
            #expect(client.clusterPrimary(forSlot: slot) == target.address)
            let all = try await client.send(RedisCommand("MGET", a, b, c), on: loop).get()
            #expect(all.array?.map(\.string) == ["1", "2", "3"])
            // A slot moved between primaries that both stay is no failover.
            // (The fetch the MOVED asked for is awaited first, so the check is not vacuous.)
            for _ in 0..<400 where client.clusterMapRefreshes < 2 {
                try await Task.sleep(for: .milliseconds(25))
            }
            #expect(client.clusterMapRefreshes >= 2)
            #expect(moves.withLockedValue { $0 }.isEmpty)
        }
    }

    /// `CLUSTER FAILOVER` on a replica while the client increments a counter on its primary:
    /// every command succeeds, none is lost or applied twice, and the client moves to the
    /// new primary (told by MOVED from the old one).
    @Test func manualFailover_keepsServing() async throws {
        try await RedisClusterTests.withClient { client, loop in
            let moves = NIOLockedValueBox<[RedisAddress]>([])
            client.onPrimaryChange { address in moves.withLockedValue { $0.append(address) } }
            let tag = "failover-\(UUID().uuidString)"
            let slot = ClusterKeySlot.slot(of: tag)
            let counter = "{\(tag)}counter"
            try await client.set(counter, value: ByteBuffer(string: "0"), pxMilliseconds: 600_000, on: loop).get()
            let primary = try #require(client.clusterPrimary(forSlot: slot))
            let nodes = try await ClusterAdmin.nodes(via: primary)
            let primaryID = try #require(nodes.first { $0.address == primary }?.id)
            let replica = try #require(nodes.first { $0.primaryID == primaryID })
            for _ in 0..<400 {
                let info = try await ClusterAdmin.send(replica.address, "INFO", "replication").string ?? ""
                if info.contains("master_link_status:up") { break }
                try await Task.sleep(for: .milliseconds(25))
            }

            _ = try await ClusterAdmin.send(replica.address, "CLUSTER", "FAILOVER")
            var increments: Int64 = 0
            for _ in 0..<4000 where client.clusterPrimary(forSlot: slot) != replica.address {
                let reply = try await client.send(RedisCommand("INCR", counter), on: loop).get()
                increments += 1
                #expect(reply.integer == increments)
                try await Task.sleep(for: .milliseconds(5))
            }
            #expect(client.clusterPrimary(forSlot: slot) == replica.address)
            #expect(try await client.get(counter, on: loop).get() == ByteBuffer(string: "\(increments)"))
            let role = try await ClusterAdmin.send(replica.address, "ROLE")
            #expect(role.array?.first?.string == "master")
            // The map fetched after the MOVED no longer names the old primary: the client says
            // the primary moved (a cache then drops what the old one may have lost).
            for _ in 0..<400 where moves.withLockedValue({ $0 }).isEmpty {
                try await Task.sleep(for: .milliseconds(25))
            }
            #expect(!moves.withLockedValue { $0 }.isEmpty)
            #expect(moves.withLockedValue { $0 }.allSatisfy { $0 == replica.address })
        }
    }
}
