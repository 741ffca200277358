import CatalogCacheCore
import CatalogRedis
import Foundation
import NIOCore
import Synchronization
import Testing
@testable import CatalogCacheProxy

/// ``ClusterCacheStore`` while the slots of an entry and of its tag move between primaries
/// (``ClusterSlotMigration``): the store reads through `ASK`, an invalidation that arrives
/// while the slots are split between two nodes is applied (retried, as the applier's debts
/// retry it, when the split refused it for longer than the client's `TRYAGAIN` budget), and
/// fills that started before it never store, on the slots' new primaries.
@Suite(.enabled(if: TestServices.enabled), .serialized)
struct ClusterStoreMigrationTests {
    @Test func anInvalidationDuringASlotMigrationIsAppliedAndOlderFillsNeverStore() async throws {
        try await ClusterCacheStoreTests.withStore { store, client, loop, prefix in
            let redirects = Mutex<[String: Int]>([:])
            client.onClusterRedirect { redirect in redirects.withLock { $0[redirect.kind, default: 0] += 1 } }
            let key = prefix + "/store/products/migrating"
            let tag = "product:migrating-\(UUID().uuidString)"
            let cached = try await store.ticket(key: key, tags: [], on: loop).get()
            #expect(try await store.store(key, value: ByteBuffer(string: "old"), ttlMilliseconds: 600_000, tags: [tag], ticket: cached, on: loop).get())

            // Two fills of the key start before the invalidation: one holding the fill lock and
            // registering the tag, one with no tags (only the entry's tombstone can refuse it).
            #expect(try await store.acquireFillLock(key, token: "f", ttlMilliseconds: 600_000, on: loop).get())
            var tagged = try await store.ticket(key: key, tags: [tag], on: loop).get()
            tagged.fillLockToken = "f"
            let untagged = try await store.ticket(key: key, tags: [], on: loop).get()

            // Both slots start moving; the entry and the tag's members go first, the lock stays.
            let entrySlot = try await ClusterCacheStoreTests.slot(client, store.entryKey(key), loop)
            let tagSlot = try await ClusterCacheStoreTests.slot(client, store.membersKey(tag), loop)
            guard case .cluster(let seeds) = client.configuration.topology, let seed = seeds.first else {
                Issue.record("the store's client is not on a cluster")
                return
            }
            let migration = try await ClusterSlotMigration.begin(slots: [entrySlot, tagSlot], seedPort: seed.port)
            try await migration.move(keys: [store.entryKey(key)], slot: entrySlot)
            try await migration.move(keys: [store.membersKey(tag)], slot: tagSlot)
            #expect(try await store.get(key, on: loop).get() == ByteBuffer(string: "old"))
            #expect(redirects.withLock { $0["ask", default: 0] } >= 1, "the moved entry is read through ASK")
            #expect(try await store.fillLockHolder(key, on: loop).get() == "f")

            // The invalidation arrives while the slots are split, and the migration then ends.
            let during = store.invalidate(keys: [], tags: [tag], on: loop)
            try await migration.finish()
            do {
                _ = try await during.get()
            } catch {
                _ = try await store.invalidate(keys: [], tags: [tag], on: loop).get()
            }
            #expect(try await store.get(key, on: loop).get() == nil)
            #expect(client.clusterPrimary(forSlot: entrySlot)?.port == migration.targetPort(of: entrySlot))

            // Neither older fill stores on the new primaries: the tagged one by the tag's mark
            // (and its lock is released there), the untagged one by the entry's tombstone.
            #expect(try await store.store(key, value: ByteBuffer(string: "stale"), ttlMilliseconds: 600_000, tags: [tag], ticket: tagged, on: loop).get() == false)
            #expect(try await store.fillLockHolder(key, on: loop).get() == nil)
            #expect(try await store.store(key, value: ByteBuffer(string: "stale"), ttlMilliseconds: 600_000, tags: [], ticket: untagged, on: loop).get() == false)
            #expect(try await store.get(key, on: loop).get() == nil)
            #expect(redirects.withLock { $0["moved", default: 0] } >= 1, "the old primary answers MOVED once the slot is given away")

            // A fill that starts now stores on the new primary, and the tag still finds it there.
            let fresh = try await store.ticket(key: key, tags: [], on: loop).get()
            #expect(try await store.store(key, value: ByteBuffer(string: "new"), ttlMilliseconds: 600_000, tags: [tag], ticket: fresh, on: loop).get())
            #expect(try await store.get(key, on: loop).get() == ByteBuffer(string: "new"))
            #expect(try await store.invalidate(keys: [], tags: [tag], on: loop).get() == 1)
            #expect(try await store.get(key, on: loop).get() == nil)
        }
    }
}
