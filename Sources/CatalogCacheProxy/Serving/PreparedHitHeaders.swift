import CatalogCacheCore
import NIOCore

/// The header lines of a fresh hit's response for one hot-tier entry on one route, made
/// once when the entry enters the tier: one block for the stored encoding and one for
/// identity. A hit then writes its status line, the block, `Age` and the terminator, and
/// builds no `HTTPHeaders`, strings or header validation of its own.
///
/// Invariants: each block holds exactly the fields `EntryRepresentation` sends for a fresh
/// hit (`X-Cache: HIT`) except `Age`, and its `Content-Length` is the length of the body of
/// that encoding; every line passed `ResponseSerializer`'s name and value checks (an entry
/// with a field that would not is given no blocks, and its hits take the general path).
/// The blocks are only valid for `routeIndex` (Cache-Control and Vary come from the route).
struct PreparedHitHeaders: Sendable {
    let routeIndex: Int
    let storedEncoding: ByteBuffer
    let identity: ByteBuffer

    init?(meta: EntryMetadata, values: EntryHeaderValues, route: CompiledRoute) {
        guard let stored = Self.block(meta: meta, values: values, route: route, encoding: meta.encoding) else { return nil }
        if meta.encoding == .identity {
            identity = stored
        } else {
            guard let inflated = Self.block(meta: meta, values: values, route: route, encoding: .identity) else { return nil }
            identity = inflated
        }
        storedEncoding = stored
        routeIndex = route.index
    }

    func block(for encoding: ContentEncoding, of meta: EntryMetadata) -> ByteBuffer {
        encoding == meta.encoding ? storedEncoding : identity
    }

    private static func block(meta: EntryMetadata, values: EntryHeaderValues, route: CompiledRoute, encoding: ContentEncoding) -> ByteBuffer? {
        var fields: [(String, String)] = [
            ("ETag", values.eTag(for: encoding, of: meta)),
            ("Cache-Control", route.cacheControl),
            ("Vary", route.vary),
            ("X-Cache", CacheOutcome.hit.xCacheValue),
        ]
        if let surrogateKey = values.surrogateKey { fields.append(("Surrogate-Key", surrogateKey)) }
        fields.append(("Content-Type", meta.contentType))
        fields.append(("Content-Length", encoding == meta.encoding ? values.storedContentLength : values.identityContentLength))
        if encoding == .gzip { fields.append(("Content-Encoding", "gzip")) }
        for field in meta.extraHeaders { fields.append((field.name, field.value)) }
        var out = ByteBuffer()
        for (name, value) in fields {
            guard ResponseSerializer.writeField(name: name, value: value, into: &out) else { return nil }
        }
        return out
    }
}
