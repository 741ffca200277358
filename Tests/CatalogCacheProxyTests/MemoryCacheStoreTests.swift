import CatalogCacheCore
import CatalogTestSupport
import NIOCore
import NIOEmbedded
import Testing

@testable import CatalogCacheProxy

@Suite struct MemoryCacheStoreTests {
    let loop = EmbeddedEventLoop()

    func value(_ size: Int, _ byte: UInt8 = 7) -> ByteBuffer { ByteBuffer(bytes: [UInt8](repeating: byte, count: size)) }

    @Test func storesAndExpires() throws {
        let clock = ManualClock(milliseconds: 1_000)
        let store = MemoryCacheStore(maxBytes: 1 << 20, clock: clock)
        let ticket = try store.ticket(tags: ["t"], on: loop).wait()
        #expect(try store.store("k", value: value(10), ttlMilliseconds: 500, tags: ["t"], ticket: ticket, on: loop).wait())
        #expect(try store.get("k", on: loop).wait()?.readableBytes == 10)
        clock.advance(byMilliseconds: 499)
        #expect(try store.get("k", on: loop).wait() != nil)
        clock.advance(byMilliseconds: 1)
        #expect(try store.get("k", on: loop).wait() == nil)
        #expect(store.count == 0)
    }

    @Test func evictsLeastRecentlyUsedWithinTheByteBound() throws {
        let clock = ManualClock(milliseconds: 0)
        let store = MemoryCacheStore(maxBytes: 300, clock: clock)
        let ticket = StoreTicket(sequence: 0)
        for key in ["a", "b", "c"] {
            _ = try store.store(key, value: value(99), ttlMilliseconds: 10_000, tags: [], ticket: ticket, on: loop).wait()
        }
        #expect(store.bytesUsed == 300)
        _ = try store.get("a", on: loop).wait()  // a is now the most recently used
        _ = try store.store("d", value: value(99), ttlMilliseconds: 10_000, tags: [], ticket: ticket, on: loop).wait()
        #expect(try store.get("b", on: loop).wait() == nil)
        #expect(try store.get("a", on: loop).wait() != nil)
        #expect(try store.get("c", on: loop).wait() != nil)
        #expect(try store.get("d", on: loop).wait() != nil)
        #expect(store.bytesUsed <= 300)
        // An object larger than the whole store is not stored and evicts nothing.
        #expect(try store.store("huge", value: value(400), ttlMilliseconds: 10_000, tags: [], ticket: ticket, on: loop).wait())
        #expect(try store.get("huge", on: loop).wait() == nil)
        #expect(store.count == 3)
    }

    @Test func invalidatingATagDropsItsEntriesAndRefusesOlderTickets() throws {
        let clock = ManualClock(milliseconds: 0)
        let store = MemoryCacheStore(maxBytes: 1 << 20, clock: clock)
        let t0 = try store.ticket(tags: ["products"], on: loop).wait()
        _ = try store.store("p1", value: value(5), ttlMilliseconds: 10_000, tags: ["products"], ticket: t0, on: loop).wait()
        _ = try store.store("p2", value: value(5), ttlMilliseconds: 10_000, tags: ["products", "product:2"], ticket: try store.ticket(tags: ["products", "product:2"], on: loop).wait(), on: loop).wait()
        _ = try store.store("b", value: value(5), ttlMilliseconds: 10_000, tags: ["banners"], ticket: try store.ticket(tags: ["banners"], on: loop).wait(), on: loop).wait()

        let fillStartedBefore = try store.ticket(tags: ["products"], on: loop).wait()
        #expect(try store.invalidate(keys: [], tags: ["products"], on: loop).wait() == 2)
        #expect(try store.get("p1", on: loop).wait() == nil)
        #expect(try store.get("p2", on: loop).wait() == nil)
        #expect(try store.get("b", on: loop).wait() != nil)

        // The fill that began before the invalidation must not store its result.
        #expect(try store.store("p1", value: value(5), ttlMilliseconds: 10_000, tags: ["products"], ticket: fillStartedBefore, on: loop).wait() == false)
        #expect(try store.get("p1", on: loop).wait() == nil)
        // A fill that begins afterwards may.
        let fresh = try store.ticket(tags: ["products"], on: loop).wait()
        #expect(try store.store("p1", value: value(5), ttlMilliseconds: 10_000, tags: ["products"], ticket: fresh, on: loop).wait())

        #expect(try store.invalidate(keys: ["b", "missing"], tags: [], on: loop).wait() == 1)
        #expect(try store.get("b", on: loop).wait() == nil)
    }
}
