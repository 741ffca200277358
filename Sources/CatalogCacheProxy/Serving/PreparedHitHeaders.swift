import CatalogCacheCore
import NIOCore

/// The header lines of a fresh hit's response for one hot-tier entry on one route, made
/// once when the entry enters the tier: one block for the stored encoding and one for
/// identity (`EntryHeaderBlock`). A hit then writes its status line, the block, `Age` and the
/// terminator, and builds nothing of its own.
///
/// Invariants: each block holds exactly the fields `EntryRepresentation` sends for a fresh
/// hit (`X-Cache: HIT`, `Cache-Status: <name>; hit`) except `Age`, and its `Content-Length` is the length of the body of
/// that encoding; an entry with a field that cannot be sent is given no blocks, and its hits
/// take the general path. The blocks are only valid for `route`, the very compiled route they
/// were made for (Cache-Control, Vary and Cache-Status come from it, and a reload compiles
/// new routes).
struct PreparedHitHeaders: Sendable {
    let route: CompiledRoute
    let storedEncoding: ByteBuffer
    let identity: ByteBuffer

    init?(meta: EntryMetadata, values: EntryHeaderValues, route: CompiledRoute) {
        guard let stored = EntryHeaderBlock.make(meta: meta, route: route, encoding: meta.encoding, contentLength: values.storedLength, outcome: .hit, cacheStatus: route.hitCacheStatus) else { return nil }
        if meta.encoding == .identity {
            identity = stored
        } else {
            guard let inflated = EntryHeaderBlock.make(meta: meta, route: route, encoding: .identity, contentLength: values.identityLength, outcome: .hit, cacheStatus: route.hitCacheStatus) else { return nil }
            identity = inflated
        }
        storedEncoding = stored
        self.route = route
    }

    func block(for encoding: ContentEncoding, of meta: EntryMetadata) -> ByteBuffer {
        encoding == meta.encoding ? storedEncoding : identity
    }
}
