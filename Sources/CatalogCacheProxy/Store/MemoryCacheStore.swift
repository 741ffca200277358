import CatalogCacheCore
import NIOCore
import Synchronization

/// The bounded in-process store used when no Redis URL is configured.
///
/// Bounded in bytes (keys plus values); least recently used entries are evicted first.
/// Expired entries are never returned. All state sits behind one mutex; futures complete
/// on the caller's loop at once.
public final class MemoryCacheStore: CacheStore {
    public let kind = "memory"
    private let state: Mutex<State>
    private let clock: any CacheClock

    public init(maxBytes: Int, clock: any CacheClock) {
        self.state = Mutex(State(maxBytes: maxBytes))
        self.clock = clock
    }

    public func get(_ key: String, on loop: EventLoop) -> EventLoopFuture<ByteBuffer?> {
        let now = clock.nowMilliseconds()
        return loop.makeSucceededFuture(state.withLock { $0.get(key, now: now) })
    }

    public func ticket(tags: [String], on loop: EventLoop) -> EventLoopFuture<StoreTicket> {
        loop.makeSucceededFuture(state.withLock { s in StoreTicket(sequence: s.sequence) })
    }

    public func ticket(key: String, tags: [String], on loop: EventLoop) -> EventLoopFuture<StoreTicket> {
        let now = clock.nowMilliseconds()
        return loop.makeSucceededFuture(state.withLock { s in
            StoreTicket(sequence: s.sequence, entry: s.get(key, now: now))
        })
    }

    public func store(_ key: String, value: ByteBuffer, ttlMilliseconds: Int64, tags: [String], ticket: StoreTicket, on loop: EventLoop) -> EventLoopFuture<Bool> {
        let now = clock.nowMilliseconds()
        let stored = state.withLock { s -> Bool in
            guard !tags.contains(where: { s.marks[$0, default: 0] > ticket.sequence }) else { return false }
            s.put(key, value: value, expiresAt: now + ttlMilliseconds, tags: tags)
            return true
        }
        return loop.makeSucceededFuture(stored)
    }

    public func invalidate(keys: [String], tags: [String], on loop: EventLoop) -> EventLoopFuture<Int> {
        loop.makeSucceededFuture(state.withLock { $0.invalidate(keys: keys, tags: tags) })
    }

    public func ping(on loop: EventLoop) -> EventLoopFuture<Bool> { loop.makeSucceededFuture(true) }

    public func shutdown() async {}

    /// Bytes currently held (keys plus values), for metrics and tests.
    public var bytesUsed: Int { state.withLock { $0.bytes } }
    public var count: Int { state.withLock { $0.slots.count - $0.free.count } }

    /// LRU list over slots; `index[key]` points at a slot. Invariant: `bytes` is the sum of
    /// `key.utf8.count + value.readableBytes` over live slots and never exceeds `maxBytes`
    /// after `put` returns.
    struct State {
        struct Slot {
            var key: String
            var value: ByteBuffer
            var expiresAt: Int64
            var tags: [String]
            var prev: Int
            var next: Int
        }
        let maxBytes: Int
        var slots: [Slot] = []
        var free: [Int] = []
        var index: [String: Int] = [:]
        var tagMembers: [String: Set<String>] = [:]
        /// Incremented by every invalidation; a tag's mark is its value at the tag's last one.
        var sequence: UInt64 = 0
        var marks: [String: UInt64] = [:]
        var head = -1  // most recently used
        var tail = -1  // least recently used
        var bytes = 0

        init(maxBytes: Int) { self.maxBytes = maxBytes }

        mutating func get(_ key: String, now: Int64) -> ByteBuffer? {
            guard let i = index[key] else { return nil }
            if slots[i].expiresAt <= now {
                remove(i)
                return nil
            }
            moveToFront(i)
            return slots[i].value
        }

        mutating func put(_ key: String, value: ByteBuffer, expiresAt: Int64, tags: [String]) {
            if let i = index[key] { remove(i) }
            let size = key.utf8.count + value.readableBytes
            guard size <= maxBytes else { return }
            while bytes + size > maxBytes, tail >= 0 { remove(tail) }
            let slot = Slot(key: key, value: value, expiresAt: expiresAt, tags: tags, prev: -1, next: head)
            let i: Int
            if let reused = free.popLast() { slots[reused] = slot; i = reused } else { slots.append(slot); i = slots.count - 1 }
            if head >= 0 { slots[head].prev = i }
            head = i
            if tail < 0 { tail = i }
            index[key] = i
            bytes += size
            for tag in tags { tagMembers[tag, default: []].insert(key) }
        }

        mutating func invalidate(keys: [String], tags: [String]) -> Int {
            var removed = 0
            sequence += 1
            for tag in tags {
                marks[tag] = sequence
                for key in tagMembers.removeValue(forKey: tag) ?? [] {
                    if let i = index[key] { remove(i); removed += 1 }
                }
            }
            for key in keys {
                if let i = index[key] { remove(i); removed += 1 }
            }
            return removed
        }

        private mutating func unlink(_ i: Int) {
            let (p, n) = (slots[i].prev, slots[i].next)
            if p >= 0 { slots[p].next = n } else { head = n }
            if n >= 0 { slots[n].prev = p } else { tail = p }
        }

        private mutating func moveToFront(_ i: Int) {
            guard head != i else { return }
            unlink(i)
            slots[i].prev = -1
            slots[i].next = head
            if head >= 0 { slots[head].prev = i }
            head = i
            if tail < 0 { tail = i }
        }

        private mutating func remove(_ i: Int) {
            unlink(i)
            let slot = slots[i]
            index[slot.key] = nil
            bytes -= slot.key.utf8.count + slot.value.readableBytes
            for tag in slot.tags {
                tagMembers[tag]?.remove(slot.key)
                if tagMembers[tag]?.isEmpty == true { tagMembers[tag] = nil }
            }
            slots[i].value = ByteBuffer()
            slots[i].tags = []
            free.append(i)
        }
    }
}
