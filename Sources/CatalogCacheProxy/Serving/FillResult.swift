import CatalogCacheCore
import CatalogHTTP
import NIOCore

/// What one upstream fetch for a cacheable key produced, handed to every coalesced waiter.
public enum FillResult: Sendable {
    /// A shareable response: the entry as stored (body in the stored encoding).
    case entry(EntryMetadata, body: ByteBuffer)
    /// A response only the leader may see (Set-Cookie, private, an uncacheable status, too large).
    case unshareable(UpstreamResponse)
}
