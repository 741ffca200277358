import CatalogCacheCore
import NIOCore

/// Whether an entry read from the hot tier or the store may be served: the one set of rules
/// every read of an entry goes through (a lookup, a fill's ticket, a wait for a peer's fill).
///
/// Invariants: an entry being invalidated (`gate`) is never served; while the feed is down, an
/// entry older than `feed_down_max_age_s` is not served (it may have been invalidated while
/// nobody listened); an undecodable value counts as absent (it will be refilled).
struct EntryLookup: Sendable {
    let store: any CacheStore
    let gate: InvalidationGate
    let hotTier: HotTier?
    let feedStatus: InvalidationFeedStatus?
    let clock: any CacheClock
    /// `invalidation.feed_down_max_age_s`; nil: entries stay usable while the feed is down.
    let feedDownMaxAgeSeconds: Int?

    /// False when the feed is down and `meta` is older than `feedDownMaxAgeSeconds`.
    func usableWhileFeedDown(_ meta: EntryMetadata) -> Bool {
        guard let limit = feedDownMaxAgeSeconds, let feedStatus, feedStatus.state != "listening" else { return true }
        return clock.nowMilliseconds() - meta.storedAt < Int64(limit) * 1000
    }

    /// The hot tier's entry for `key` when it may be served: not being invalidated, and
    /// usable while the feed is down.
    func usableHotEntry(_ key: String) -> HotTier.Entry? {
        guard let hot = hotTier?.get(key), !gate.blocks(key: key, tags: hot.meta.tags), usableWhileFeedDown(hot.meta) else { return nil }
        return hot
    }

    /// The entry in a store value when it may be served under `key` (not gated, usable while
    /// the feed is down, stored under `route`'s current rules), fresh or not.
    func servable(_ buffer: ByteBuffer?, key: String, route: CompiledRoute?) -> (meta: EntryMetadata, body: ByteBuffer)? {
        guard let buffer, let decoded = Self.decode(buffer), route?.storedUnderCurrentRules(decoded.meta) ?? true,
              !gate.blocks(key: key, tags: decoded.meta.tags), usableWhileFeedDown(decoded.meta) else { return nil }
        return decoded
    }

    /// The entry in `buffer` if it is servable and fresh: what another fill has just stored.
    func freshEntry(_ buffer: ByteBuffer?, key: String, route: CompiledRoute) -> FillResult? {
        guard let decoded = servable(buffer, key: key, route: route),
              FreshnessPolicy.evaluate(decoded.meta, now: clock.nowMilliseconds()) == .fresh else { return nil }
        return .storedByAnotherFill(decoded.meta, body: decoded.body)
    }

    /// Decodes an envelope; nil when it does not decode.
    static func decode(_ buffer: ByteBuffer) -> (meta: EntryMetadata, body: ByteBuffer)? {
        let decoded = buffer.withUnsafeReadableBytes { try? EntryEnvelope.decodeMetadata($0) }
        guard let (meta, offset) = decoded,
              let body = buffer.getSlice(at: buffer.readerIndex + offset, length: buffer.readableBytes - offset) else { return nil }
        return (meta, body)
    }
}
