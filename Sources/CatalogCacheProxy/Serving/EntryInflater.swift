import CatalogCacheCore
import CatalogCompression
import NIOCore

/// The identity body of a gzip entry, for a client that does not take gzip: the one place an
/// entry is inflated for a response.
///
/// Invariant: a body is handed out only when it inflates to exactly the entry's identity
/// length, and kept ones are keyed by the entry's identity ETag, so a client never gets
/// another entry's body or one its `Content-Length` does not describe.
struct EntryInflater: Sendable {
    /// Inflated bodies of gzip entries read from the store; nil when off.
    let kept: IdentityBodyCache?
    let metrics: ProxyMetrics

    /// From `kept`, else inflated now (counted in `inflatesPerRequest`) and kept there. Nil
    /// when the stored bytes do not inflate to the entry's identity length (the response is
    /// then a 502).
    func identityBody(_ meta: EntryMetadata, gzipBody: ByteBuffer) -> ByteBuffer? {
        if let body = kept?.body(etag: meta.etag, length: meta.identityLength) { return body }
        let inflated: [UInt8]? = gzipBody.withUnsafeReadableBytes { try? Gzip.decompress($0, maxOutput: max(meta.identityLength, 1)) }
        guard let inflated, inflated.count == meta.identityLength else { return nil }
        metrics.inflatesPerRequest.increment()
        let body = ByteBuffer(bytes: inflated)
        kept?.insert(etag: meta.etag, body: body)
        return body
    }
}
