import CatalogCacheCore
import NIOCore
import Synchronization

/// Inflated bodies of gzip-stored entries, for identity clients, keyed by the identity ETag
/// of the entry they belong to: the first 128 bits of the SHA-256 of the identity body, as
/// the fill computed it (`CacheEngine.makeEntry`).
///
/// Content-addressed, so it needs no invalidation: a body is found only under the ETag of
/// an entry the request has just read from the store, and that ETag names those exact bytes
/// (the length is checked too). An entry invalidated or replaced in the store can therefore
/// never be answered with an older body, whatever this cache still holds; it only saves the
/// inflate (and, compared with keeping an identity copy in Redis, moving both bodies per
/// request). Least recently used bodies go first; bounded by `maxBytes` (bodies plus a fixed
/// overhead each). Thread-safe: one lock, held for the lookup or insert only.
final class IdentityBodyCache: Sendable {
    private struct State {
        var bodies: [String: ByteBuffer] = [:]
        var recency = KeyedLRUList()
        var bytes = 0
    }

    static let overheadPerBody = 128
    let maxBytes: Int
    private let state = Mutex(State())

    init(maxBytes: Int) {
        self.maxBytes = maxBytes
    }

    var bytes: Int { state.withLock { $0.bytes } }
    var count: Int { state.withLock { $0.bodies.count } }

    /// The identity body of the entry whose identity ETag is `etag`, if kept and of `length` bytes.
    func body(etag: String, length: Int) -> ByteBuffer? {
        state.withLock { s in
            guard let body = s.bodies[etag], body.readableBytes == length else { return nil }
            s.recency.moveToFront(etag)
            return body
        }
    }

    /// Keeps `body` as the identity body for `etag`, evicting the least recently used bodies
    /// to stay within the bound; a body larger than the bound alone is not kept.
    func insert(etag: String, body: ByteBuffer) {
        let size = body.readableBytes + Self.overheadPerBody
        guard size <= maxBytes else { return }
        state.withLock { s in
            if let old = s.bodies.updateValue(body, forKey: etag) {
                s.bytes -= old.readableBytes + Self.overheadPerBody
                s.recency.remove(etag)
            }
            s.recency.pushFront(etag)
            s.bytes += size
            while s.bytes > maxBytes, let victim = s.recency.back {
                s.recency.remove(victim)
                if let evicted = s.bodies.removeValue(forKey: victim) { s.bytes -= evicted.readableBytes + Self.overheadPerBody }
            }
        }
    }
}
