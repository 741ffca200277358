import CatalogCacheCore
import NIOCore
import Synchronization

/// The in-process tier in front of the store for the hottest entries: decoded, so a hit
/// costs no Redis round trip and no envelope decoding. A gzip-stored entry gains its
/// identity body beside the gzip bytes the first time an identity client asks for it
/// (`attachIdentity`), so identity clients pay one inflate per entry, not one per request,
/// and entries only gzip clients read (most, behind a CDN) cost no inflate at all.
///
/// Eviction is a segmented LRU (probation and protected): a new entry enters probation and
/// is promoted to protected on its second hit, so a one-pass scan over many keys churns only
/// probation and cannot push out the hot set. Bounded in bytes (both bodies count, plus a
/// fixed overhead per entry); the protected segment holds at most 80 % of it.
///
/// Coherence. Invariants:
/// - `invalidate` removes every entry carrying one of its tags or keys, under the lock, and
///   advances `epoch`;
/// - `insert` takes the `epoch` its caller read *before* fetching the entry (from Redis or
///   the upstream) and refuses when any invalidation happened since.
/// So once `invalidate` returns, the tier holds nothing it invalidated, and never will.
public final class HotTier: Sendable {
    /// Immutable (a grown entry is a new one), and a class so that a hit's `get` hands out one
    /// reference instead of copying a dozen counted fields under the tier's lock.
    public final class Entry: Sendable {
        public let meta: EntryMetadata
        /// The body as stored (gzip or identity).
        public let storedBody: ByteBuffer
        /// The identity body when the stored one is gzip and an identity client asked for it.
        public let identityBody: ByteBuffer?
        /// Header values of its responses, made once at insert.
        let headerValues: EntryHeaderValues
        var size: Int { storedBody.readableBytes + (identityBody?.readableBytes ?? 0) + 256 }

        init(meta: EntryMetadata, storedBody: ByteBuffer, identityBody: ByteBuffer?, headerValues: EntryHeaderValues) {
            self.meta = meta
            self.storedBody = storedBody
            self.identityBody = identityBody
            self.headerValues = headerValues
        }
    }

    private struct State {
        var probation = KeyedLRUList()
        var protected = KeyedLRUList()
        var entries: [String: Entry] = [:]
        var tagMembers: [String: Set<String>] = [:]
        var bytes = 0
        var protectedBytes = 0
        var epoch: UInt64 = 0
    }

    public let maxBytes: Int
    private let maxProtectedBytes: Int
    private let state = Mutex(State())

    public init(maxBytes: Int) {
        self.maxBytes = maxBytes
        self.maxProtectedBytes = maxBytes / 5 * 4
    }

    /// Read before fetching an entry that may be inserted afterwards.
    public var epoch: UInt64 { state.withLock { $0.epoch } }
    public var bytes: Int { state.withLock { $0.bytes } }
    public var count: Int { state.withLock { $0.entries.count } }

    /// The entry under `key`; a hit in probation promotes it to protected.
    public func get(_ key: String) -> Entry? {
        state.withLock { s in
            guard let entry = s.entries[key] else { return nil }
            if !s.protected.moveToFront(key) {
                s.probation.remove(key)
                s.protected.pushFront(key)
                s.protectedBytes += entry.size
                while s.protectedBytes > maxProtectedBytes, let victim = s.protected.back, victim != key {
                    s.protected.remove(victim)
                    s.probation.pushFront(victim)
                    s.protectedBytes -= s.entries[victim]!.size
                }
            }
            return entry
        }
    }

    /// Inserts an entry fetched after `epoch` was read; refused (false) when an invalidation
    /// happened since, or when it alone exceeds the tier. `route`, the route it serves, has
    /// its hits' header blocks made now (outside the lock).
    @discardableResult
    func insert(_ key: String, meta: EntryMetadata, storedBody: ByteBuffer, epoch: UInt64, route: CompiledRoute? = nil) -> Bool {
        let values = EntryHeaderValues(meta: meta, storedLength: storedBody.readableBytes, route: route)
        let entry = Entry(meta: meta, storedBody: storedBody, identityBody: nil, headerValues: values)
        guard entry.size <= maxBytes else { return false }
        return state.withLock { s in
            guard s.epoch == epoch else { return false }
            Self.remove(&s, key)
            s.entries[key] = entry
            s.probation.pushFront(key)
            s.bytes += entry.size
            for tag in meta.tags { s.tagMembers[tag, default: []].insert(key) }
            Self.evict(&s, maxBytes: maxBytes)
            return true
        }
    }

    /// Keeps `identity`, the inflated body of `key`'s gzip entry, beside it, provided the
    /// entry is still the one `meta` describes (same ETag and store time: an entry replaced
    /// or invalidated meanwhile is left alone) and has none yet. Counts against the bound like
    /// any body. Answers whether it was kept.
    @discardableResult
    public func attachIdentity(_ key: String, identity: ByteBuffer, to meta: EntryMetadata) -> Bool {
        state.withLock { s in
            guard let entry = s.entries[key], entry.identityBody == nil, entry.meta.encoding == .gzip,
                  entry.meta.etag == meta.etag, entry.meta.storedAt == meta.storedAt,
                  identity.readableBytes == entry.meta.identityLength else { return false }
            let grown = Entry(meta: entry.meta, storedBody: entry.storedBody, identityBody: identity, headerValues: entry.headerValues)
            guard grown.size <= maxBytes else { return false }
            s.entries[key] = grown
            s.bytes += grown.size - entry.size
            if s.protected.contains(key) { s.protectedBytes += grown.size - entry.size }
            Self.evict(&s, maxBytes: maxBytes)
            return true
        }
    }

    private static func evict(_ s: inout State, maxBytes: Int) {
        while s.bytes > maxBytes, let victim = s.probation.back ?? s.protected.back {
            remove(&s, victim)
        }
    }

    public func invalidate(tags: some Sequence<String>, keys: some Sequence<String>, all: Bool = false) {
        state.withLock { s in
            s.epoch &+= 1
            if all {
                let epoch = s.epoch
                s = State()
                s.epoch = epoch
                return
            }
            for tag in tags {
                for key in s.tagMembers[tag] ?? [] { Self.remove(&s, key) }
            }
            for key in keys { Self.remove(&s, key) }
        }
    }

    private static func remove(_ s: inout State, _ key: String) {
        guard let entry = s.entries.removeValue(forKey: key) else { return }
        if s.protected.contains(key) {
            s.protected.remove(key)
            s.protectedBytes -= entry.size
        } else {
            s.probation.remove(key)
        }
        s.bytes -= entry.size
        for tag in entry.meta.tags {
            s.tagMembers[tag]?.remove(key)
            if s.tagMembers[tag]?.isEmpty == true { s.tagMembers[tag] = nil }
        }
    }
}
