import CatalogCacheCore
import CatalogCompression
import NIOCore
import Testing

@testable import CatalogCacheProxy

@Suite struct IdentityBodyCacheTests {
    func body(_ n: Int, _ byte: UInt8 = 65) -> ByteBuffer { ByteBuffer(bytes: [UInt8](repeating: byte, count: n)) }

    @Test func aBodyIsFoundOnlyUnderItsETagAndLength() {
        let cache = IdentityBodyCache(maxBytes: 1 << 20)
        cache.insert(etag: "e1", body: body(100))
        #expect(cache.body(etag: "e1", length: 100)?.readableBytes == 100)
        #expect(cache.body(etag: "e1", length: 99) == nil)
        #expect(cache.body(etag: "e2", length: 100) == nil)
    }

    @Test func leastRecentlyUsedBodiesGoFirstAndTheBoundHolds() {
        let per = 1000 + IdentityBodyCache.overheadPerBody
        let cache = IdentityBodyCache(maxBytes: 3 * per)
        cache.insert(etag: "a", body: body(1000))
        cache.insert(etag: "b", body: body(1000))
        cache.insert(etag: "c", body: body(1000))
        #expect(cache.body(etag: "a", length: 1000) != nil)  // a is now the most recent
        cache.insert(etag: "d", body: body(1000))
        #expect(cache.body(etag: "b", length: 1000) == nil)
        #expect(cache.body(etag: "a", length: 1000) != nil)
        #expect(cache.count == 3 && cache.bytes == 3 * per)
        cache.insert(etag: "a", body: body(500, 66))  // replacing counts the new size only
        #expect(cache.bytes == 2 * per + 500 + IdentityBodyCache.overheadPerBody)
        cache.insert(etag: "huge", body: body(4 * per))
        #expect(cache.body(etag: "huge", length: 4 * per) == nil)
        #expect(cache.count == 3)
    }

    /// The engine inflates once per ETag, and never hands out a body of another length than
    /// the entry's identity length (its responses' Content-Length).
    @Test func theEngineInflatesOncePerEntryAndRefusesABodyOfTheWrongLength() throws {
        let f = try HandlerFixture()
        let identity = [UInt8](repeating: 65, count: 5000)
        let gzip = ByteBuffer(bytes: try Gzip.compress(identity))
        func meta(identityLength: Int) -> EntryMetadata {
            EntryMetadata(status: 200, contentType: "application/json", etag: "e\(identityLength)", storedAt: 0, ttl: 60, staleWhileRevalidate: 0, staleIfError: 0, encoding: .gzip, identityLength: identityLength, tags: [], extraHeaders: [])
        }
        #expect(f.engine.identityBody(meta(identityLength: 5001), gzipBody: gzip) == nil)
        #expect(f.engine.identityBody(meta(identityLength: 4999), gzipBody: gzip) == nil)
        let before = f.engine.metrics.inflatesPerRequest.count
        #expect(f.engine.identityBody(meta(identityLength: 5000), gzipBody: gzip)?.readableBytes == 5000)
        #expect(f.engine.identityBody(meta(identityLength: 5000), gzipBody: gzip)?.readableBytes == 5000)
        #expect(f.engine.metrics.inflatesPerRequest.count == before + 1)
    }
}
