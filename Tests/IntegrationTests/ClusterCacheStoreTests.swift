import CatalogCacheCore
import CatalogRedis
import Foundation
import NIOCore
import Testing
@testable import CatalogCacheProxy

/// ``ClusterCacheStore`` on the 6-node cluster `scripts/services` starts: every step in one
/// slot, and the fill/invalidation interleavings the cross-slot protocol must get right,
/// driven in a fixed order through the store's own calls.
@Suite(.enabled(if: TestServices.enabled), .serialized)
struct ClusterCacheStoreTests {
    static func withStore(_ body: (ClusterCacheStore, RedisClient, EventLoop, String) async throws -> Void) async throws {
        guard let url = TestServices.env["CATALOG_TEST_REDIS_CLUSTER_URL"] else {
            Issue.record("CATALOG_TEST_REDIS_CLUSTER_URL is not set: run the tests with scripts/test")
            throw ServicesMissing()
        }
        var configuration = try RedisConfiguration.parse(url: url)
        configuration.commandTimeout = .seconds(30)
        let client = RedisClient(configuration: configuration, group: TestServices.group)
        let prefix = "cluster-store-\(UUID().uuidString.prefix(8)):"
        let store = ClusterCacheStore(client: client, prefix: prefix)
        do {
            try await body(store, client, TestServices.group.next(), prefix)
        } catch {
            await store.shutdown()
            throw error
        }
        await store.shutdown()
    }

    static func slot(_ client: RedisClient, _ key: String, _ loop: EventLoop) async throws -> Int {
        Int(try await client.send(RedisCommand("CLUSTER", "KEYSLOT", key), on: loop).get().integer ?? -1)
    }

    @Test func anEntryItsLockAndTombstoneShareASlotAndTagsHaveTheirOwn() async throws {
        try await Self.withStore { store, client, loop, prefix in
            let key = prefix + "/store/products?limit=2&x={y}"
            let entrySlot = try await Self.slot(client, store.entryKey(key), loop)
            #expect(try await Self.slot(client, store.lockKey(key), loop) == entrySlot)
            #expect(try await Self.slot(client, store.tombstoneKey(key), loop) == entrySlot)
            var slots: Set<Int> = [entrySlot]
            for tag in ["product:1", "product:2", "collection:x"] {
                let tagSlot = try await Self.slot(client, store.membersKey(tag), loop)
                #expect(try await Self.slot(client, store.markKey(tag), loop) == tagSlot)
                slots.insert(tagSlot)
            }
            #expect(slots.count == 4)
            // Stores and reads with those keys spread over the cluster: no CROSSSLOT.
            let ticket = try await store.ticket(key: key, tags: [], on: loop).get()
            #expect(ticket.entry == nil)
            #expect(try await store.store(key, value: ByteBuffer(string: "body"), ttlMilliseconds: 60_000, tags: ["product:1", "product:2", "collection:x"], ticket: ticket, on: loop).get())
            #expect(try await store.get(key, on: loop).get() == ByteBuffer(string: "body"))
            #expect(try await store.ticket(key: key, tags: [], on: loop).get().entry == ByteBuffer(string: "body"))
        }
    }

    /// Fill step 3 sees the mark of an invalidation that ran while the upstream answered.
    @Test func aTagInvalidatedAfterTheTicketRefusesTheStoreAndTheLockIsReleased() async throws {
        try await Self.withStore { store, _, loop, prefix in
            let key = prefix + "/store/products/p1"
            #expect(try await store.acquireFillLock(key, token: "t1", ttlMilliseconds: 60_000, on: loop).get())
            var ticket = try await store.ticket(key: key, tags: ["product:p1"], on: loop).get()
            ticket.fillLockToken = "t1"
            _ = try await store.invalidate(keys: [], tags: ["product:p1"], on: loop).get()
            #expect(try await store.store(key, value: ByteBuffer(string: "old"), ttlMilliseconds: 60_000, tags: ["product:p1"], ticket: ticket, on: loop).get() == false)
            #expect(try await store.get(key, on: loop).get() == nil)
            #expect(try await store.fillLockHolder(key, on: loop).get() == nil)
            // A fill that starts after the invalidation stores.
            let fresh = try await store.ticket(key: key, tags: [], on: loop).get()
            #expect(try await store.store(key, value: ByteBuffer(string: "new"), ttlMilliseconds: 60_000, tags: ["product:p1"], ticket: fresh, on: loop).get())
        }
    }

    /// Fill step 4 sees the tombstone of an invalidation that dropped the key itself.
    @Test func aKeyDroppedAfterTheTicketRefusesTheStoreThroughItsTombstone() async throws {
        try await Self.withStore { store, _, loop, prefix in
            let key = prefix + "/store/hero-banners"
            let ticket = try await store.ticket(key: key, tags: [], on: loop).get()
            _ = try await store.invalidate(keys: [key], tags: [], on: loop).get()
            #expect(try await store.store(key, value: ByteBuffer(string: "old"), ttlMilliseconds: 60_000, tags: [], ticket: ticket, on: loop).get() == false)
            #expect(try await store.get(key, on: loop).get() == nil)
        }
    }

    /// An invalidation drops every entry of the tag, forgets those members only, and leaves
    /// the entries' other tags' memberships alone, so a later invalidation finds them.
    @Test func invalidatingATagDropsItsEntriesAndKeepsOtherMemberships() async throws {
        try await Self.withStore { store, client, loop, prefix in
            let keys = (0..<12).map { prefix + "/store/products?offset=\($0)" }
            for key in keys {
                let ticket = try await store.ticket(key: key, tags: [], on: loop).get()
                #expect(try await store.store(key, value: ByteBuffer(string: key), ttlMilliseconds: 60_000, tags: ["product:a", "list:\(key.suffix(1))"], ticket: ticket, on: loop).get())
            }
            #expect(try await store.invalidate(keys: [], tags: ["product:a"], on: loop).get() == keys.count)
            for key in keys { #expect(try await store.get(key, on: loop).get() == nil) }
            #expect(try await client.send(RedisCommand("ZCARD", store.membersKey("product:a")), on: loop).get().integer == 0)
            // Stored again (new tickets), then found through their other tag.
            for key in keys {
                let ticket = try await store.ticket(key: key, tags: [], on: loop).get()
                #expect(try await store.store(key, value: ByteBuffer(string: key), ttlMilliseconds: 60_000, tags: ["product:a", "list:\(key.suffix(1))"], ticket: ticket, on: loop).get())
            }
            let last = keys.filter { $0.hasSuffix("1") }
            #expect(try await store.invalidate(keys: [], tags: ["list:1"], on: loop).get() == last.count)
            for key in keys { #expect(try await store.get(key, on: loop).get() == (last.contains(key) ? nil : ByteBuffer(string: key))) }
            #expect(try await store.ping(on: loop).get())
        }
    }

    @Test func aPrefixWithBracesIsRefusedOnACluster() {
        #expect(ClusterCacheStore.keyPrefixProblem("catalog:") == nil)
        #expect(ClusterCacheStore.keyPrefixProblem("a{b:") != nil)
        #expect(ClusterCacheStore.keyPrefixProblem("{catalog}:") != nil)
    }
}
