import CatalogCacheCore
import CatalogCompression
import NIOCore
import Testing

@testable import CatalogCacheProxy

@Suite struct HotTierTests {
    func meta(tags: [String] = ["t"], encoding: ContentEncoding = .identity, identityLength: Int = 10) -> EntryMetadata {
        EntryMetadata(status: 200, contentType: "application/json", etag: "e", storedAt: 0, ttl: 60, staleWhileRevalidate: 0, staleIfError: 0, encoding: encoding, identityLength: identityLength, tags: tags, extraHeaders: [])
    }

    func body(_ n: Int) -> ByteBuffer { ByteBuffer(bytes: [UInt8](repeating: 65, count: n)) }

    @Test func insertThenGet() {
        let tier = HotTier(maxBytes: 1 << 20)
        #expect(tier.insert("k", meta: meta(), storedBody: body(10), epoch: tier.epoch))
        #expect(tier.get("k")?.storedBody.readableBytes == 10)
        #expect(tier.get("other") == nil)
    }

    @Test func anInsertReadBeforeAnInvalidationIsRefused() {
        let tier = HotTier(maxBytes: 1 << 20)
        let epoch = tier.epoch
        tier.invalidate(tags: ["unrelated"], keys: [])
        #expect(!tier.insert("k", meta: meta(), storedBody: body(10), epoch: epoch))
        #expect(tier.get("k") == nil)
        #expect(tier.insert("k", meta: meta(), storedBody: body(10), epoch: tier.epoch))
    }

    @Test func invalidationDropsByTagByKeyAndAll() {
        let tier = HotTier(maxBytes: 1 << 20)
        tier.insert("a", meta: meta(tags: ["products"]), storedBody: body(1), epoch: tier.epoch)
        tier.insert("b", meta: meta(tags: ["banners"]), storedBody: body(1), epoch: tier.epoch)
        tier.insert("c", meta: meta(tags: ["banners"]), storedBody: body(1), epoch: tier.epoch)
        tier.invalidate(tags: ["products"], keys: ["c"])
        #expect(tier.get("a") == nil)
        #expect(tier.get("b") != nil)
        #expect(tier.get("c") == nil)
        tier.invalidate(tags: [], keys: [], all: true)
        #expect(tier.count == 0)
        #expect(tier.bytes == 0)
    }

    @Test func staysWithinItsByteBound() {
        let tier = HotTier(maxBytes: 10_000)
        for i in 0..<100 { tier.insert("k\(i)", meta: meta(), storedBody: body(500), epoch: tier.epoch) }
        #expect(tier.bytes <= 10_000)
        #expect(tier.count > 0)
        #expect(!tier.insert("huge", meta: meta(), storedBody: body(20_000), epoch: tier.epoch))
    }

    @Test func aScanDoesNotEvictTheHotSet() {
        let tier = HotTier(maxBytes: 20 * 756)  // room for 20 entries of 500 bytes (+256 overhead)
        for i in 0..<10 {
            tier.insert("hot\(i)", meta: meta(), storedBody: body(500), epoch: tier.epoch)
            _ = tier.get("hot\(i)")  // second touch: promoted to protected
        }
        for i in 0..<1000 { tier.insert("scan\(i)", meta: meta(), storedBody: body(500), epoch: tier.epoch) }
        for i in 0..<10 { #expect(tier.get("hot\(i)") != nil, "hot\(i) was evicted by a scan") }
        #expect(tier.bytes <= 20 * 756)
    }

    @Test func aGzipEntryKeepsAnIdentityBodyOnlyOnceOneIsAttached() throws {
        let identity = [UInt8](String(repeating: "{\"id\":1},", count: 500).utf8)
        let gz = try Gzip.compress(identity)
        let tier = HotTier(maxBytes: 1 << 20)
        let gzipMeta = meta(encoding: .gzip, identityLength: identity.count)
        #expect(tier.insert("g", meta: gzipMeta, storedBody: ByteBuffer(bytes: gz), epoch: tier.epoch))
        #expect(try #require(tier.get("g")).identityBody == nil)
        let bytesBefore = tier.bytes
        // Not for another entry (different store time), not with a body of the wrong length.
        var older = gzipMeta
        older.storedAt -= 1
        #expect(!tier.attachIdentity("g", identity: ByteBuffer(bytes: identity), to: older))
        #expect(!tier.attachIdentity("g", identity: ByteBuffer(bytes: identity.dropLast()), to: gzipMeta))
        #expect(!tier.attachIdentity("missing", identity: ByteBuffer(bytes: identity), to: gzipMeta))
        #expect(tier.attachIdentity("g", identity: ByteBuffer(bytes: identity), to: gzipMeta))
        let entry = try #require(tier.get("g"))
        #expect(Array(entry.identityBody!.readableBytesView) == identity)
        #expect(Array(entry.storedBody.readableBytesView) == gz)
        #expect(tier.bytes == bytesBefore + identity.count)
        // Only once; and an invalidated entry takes none.
        #expect(!tier.attachIdentity("g", identity: ByteBuffer(bytes: identity), to: gzipMeta))
        tier.invalidate(tags: ["t"], keys: [])
        #expect(!tier.attachIdentity("g", identity: ByteBuffer(bytes: identity), to: gzipMeta))
        #expect(tier.bytes == 0)
    }

    @Test func anAttachedBodyCountsAgainstTheBound() throws {
        let identity = [UInt8](String(repeating: "{\"id\":1},", count: 500).utf8)
        let gz = try Gzip.compress(identity)
        // Room for one entry with both bodies, not for that and another gzip-only one.
        let small = gz.count + identity.count + 256 + 100
        let tier = HotTier(maxBytes: small)
        let gzipMeta = meta(encoding: .gzip, identityLength: identity.count)
        #expect(tier.insert("a", meta: gzipMeta, storedBody: ByteBuffer(bytes: gz), epoch: tier.epoch))
        #expect(tier.insert("b", meta: gzipMeta, storedBody: ByteBuffer(bytes: gz), epoch: tier.epoch))
        #expect(tier.attachIdentity("b", identity: ByteBuffer(bytes: identity), to: gzipMeta))
        #expect(tier.bytes <= small)
        #expect(tier.get("b")?.identityBody != nil)
        #expect(tier.get("a") == nil)
    }

    @Test func anEntryInsertedForARouteKeepsItsHitHeaderBlocksWhenItGainsItsIdentityBody() throws {
        let tier = HotTier(maxBytes: 1 << 20)
        let route = try EntryRepresentationTests.route()
        let gzipMeta = meta(encoding: .gzip, identityLength: 3)
        #expect(tier.insert("k", meta: gzipMeta, storedBody: body(10), epoch: tier.epoch, route: route))
        #expect(tier.get("k")?.headerValues.preparedHit?.route === route)
        #expect(tier.attachIdentity("k", identity: body(3), to: gzipMeta))
        let entry = try #require(tier.get("k"))
        #expect(entry.identityBody?.readableBytes == 3)
        let identityBlock = String(buffer: try #require(entry.headerValues.preparedHit).block(for: .identity, of: gzipMeta))
        #expect(identityBlock.contains("Content-Length: 3\r\n") && !identityBlock.contains("Content-Encoding"))
        #expect(tier.insert("plain", meta: meta(), storedBody: body(10), epoch: tier.epoch))
        #expect(tier.get("plain")?.headerValues.preparedHit == nil)
    }
}
