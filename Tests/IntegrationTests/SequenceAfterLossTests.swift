import CatalogCacheCore
import CatalogRedis
import Foundation
import NIOCore
import Testing
@testable import CatalogCacheProxy

/// A promoted replica can lag its old primary: the invalidation sequence it holds may be below
/// tickets the old primary handed out, and the marks an invalidation sets from it would then not
/// refuse those fills. Dropping everything after a possible loss (a primary change, a feed
/// reconnect) lifts the sequence past any such ticket: the old fill is refused, a new one
/// stores. On one Redis and on the cluster (whose sequence lives on one of its primaries).
@Suite(.enabled(if: TestServices.enabled), .serialized)
struct SequenceAfterLossTests {
    let loop = TestServices.group.next()

    @Test func onOneRedisATicketAboveTheNewPrimarysSequenceIsRefused() async throws {
        let url = try #require(TestServices.redisURL)
        guard !TestServices.isCluster else { return }  // the cluster has its own test below
        let client = RedisClient(configuration: try TestServices.redisConfiguration(url), group: TestServices.group)
        let store = RedisCacheStore(client: client, prefix: "sequence-\(UUID().uuidString.prefix(8)):")
        try await check(store, sequenceKey: store.sequenceKey, client: client)
        await store.shutdown()
    }

    @Test func onTheClusterATicketAboveTheNewPrimarysSequenceIsRefused() async throws {
        try await ClusterCacheStoreTests.withStore { store, client, _, _ in
            try await check(store, sequenceKey: store.sequenceKey, client: client)
        }
    }

    func check(_ store: any CacheStore, sequenceKey: String, client: RedisClient) async throws {
        let key = "sequence-entry-\(UUID().uuidString.prefix(8))"
        // The old primary had reached 1000 when a fill took its ticket; the replica promoted in
        // its place had replicated the sequence only up to 995.
        _ = try await client.send(RedisCommand("SET", sequenceKey, "1000"), on: loop).get()
        let old = try await store.ticket(key: key, tags: ["t"], on: loop).get()
        _ = try await client.send(RedisCommand("SET", sequenceKey, "995"), on: loop).get()

        _ = try await store.invalidateEverything(keys: [], tags: ["t"], on: loop).get()
        let storedOld = try await store.store(key, value: ByteBuffer(string: "before"), ttlMilliseconds: 60_000, tags: ["t"], ticket: old, on: loop).get()
        #expect(!storedOld, "a fill that started before the loss stored its answer on the new primary")
        #expect(try await store.get(key, on: loop).get() == nil)

        let new = try await store.ticket(key: key, tags: ["t"], on: loop).get()
        #expect(try await store.store(key, value: ByteBuffer(string: "after"), ttlMilliseconds: 60_000, tags: ["t"], ticket: new, on: loop).get())
        #expect(try await store.get(key, on: loop).get() == ByteBuffer(string: "after"))
    }
}
