import CatalogCacheCore
import CatalogHTTP
import NIOCore

/// What one upstream fetch for a cacheable key produced, handed to every coalesced waiter.
public enum FillResult: Sendable {
    /// A shareable response: the entry as stored (body in the stored encoding).
    case entry(EntryMetadata, body: ByteBuffer)
    /// No upstream request was made: another fill (of this or another instance) had just
    /// stored a fresh entry, found when the fill read its ticket or waited on the fill lock.
    case storedByAnotherFill(EntryMetadata, body: ByteBuffer)
    /// A response only the leader may see (Set-Cookie, private, an uncacheable status, too large).
    case unshareable(UpstreamResponse)
}
