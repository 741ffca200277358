import NIOCore

/// The store's invalidation sequence read when a fill starts. Every invalidation advances
/// the sequence and marks each tag it drops with the new value; a store is refused when any
/// of the entry's tags carries a mark above the ticket's sequence (an invalidation of it ran
/// while the upstream was answering). The tags are checked at store time, so they include
/// the ones only the fetched body names (the ids of the rows it holds).
public struct StoreTicket: Sendable, Equatable {
    public var sequence: UInt64
    /// The entry stored under the key when the ticket was read, if asked for and present:
    /// a fill that finds a fresh one there (another fill just finished) uses it instead of
    /// going upstream.
    public var entry: ByteBuffer?
    /// The token of the key's fill lock when the ticket's holder took it: `store` then
    /// releases the lock (if the token still holds it) in the same step, whether it stores
    /// or not, so a fill needs no round trip of its own to release it.
    public var fillLockToken: String?
    public init(sequence: UInt64, entry: ByteBuffer? = nil, fillLockToken: String? = nil) {
        self.sequence = sequence
        self.entry = entry
        self.fillLockToken = fillLockToken
    }
}

/// Where encoded entries live (Redis, or the bounded in-process store).
///
/// All futures complete on the event loop passed in, so a request never changes threads.
/// Invariant kept by every implementation: `invalidate` advances the sequence and marks every
/// tag it drops with it, atomically with the drop; `store` writes nothing when one of the
/// entry's tags is marked above the ticket's sequence, atomically with the write.
public protocol CacheStore: AnyObject, Sendable {
    /// Short name for logs and `/readyz`: "redis" or "memory".
    var kind: String { get }
    /// The encoded entry under `key`, or nil.
    func get(_ key: String, on loop: EventLoop) -> EventLoopFuture<ByteBuffer?>
    /// Reads the invalidation sequence before an upstream fetch. `tags` are the entry's tags
    /// known before the fetch (the ticket covers every tag, so stores may ignore them).
    func ticket(tags: [String], on loop: EventLoop) -> EventLoopFuture<StoreTicket>
    /// The same, plus the entry now under `key`, in one round trip where the store can.
    func ticket(key: String, tags: [String], on loop: EventLoop) -> EventLoopFuture<StoreTicket>
    /// Stores `value` under `key` for `ttlMilliseconds`, indexed under `tags`, if `ticket`
    /// is still current. Answers whether it stored. When the ticket carries a fill-lock
    /// token, a store that answers (stored or not) has released that lock.
    func store(_ key: String, value: ByteBuffer, ttlMilliseconds: Int64, tags: [String], ticket: StoreTicket, on loop: EventLoop) -> EventLoopFuture<Bool>
    /// Drops `keys` and every entry of `tags`, advances the sequence and marks those tags.
    /// Answers how many entries were removed.
    func invalidate(keys: [String], tags: [String], on loop: EventLoop) -> EventLoopFuture<Int>
    /// The same when notifications may have been lost (the feed reconnected, or the
    /// store's primary changed), and the sequence is also lifted far past any value handed out
    /// before: a promoted replica can lag its old primary's sequence, and a ticket the old
    /// primary issued must still be refused on the new one.
    func invalidateEverything(keys: [String], tags: [String], on loop: EventLoop) -> EventLoopFuture<Int>
    /// Answers whether the store can be used (for `/readyz`).
    func ping(on loop: EventLoop) -> EventLoopFuture<Bool>
    func shutdown() async

    // Cross-instance single flight (defaults below grant the lock: for stores not shared
    // between instances). Requirements, so calls through `any CacheStore` reach the store's own.
    /// Takes the fill lock of `key` for `ttlMilliseconds` if nobody holds it.
    func acquireFillLock(_ key: String, token: String, ttlMilliseconds: Int64, on loop: EventLoop) -> EventLoopFuture<Bool>
    /// Releases the lock if `token` still holds it.
    func releaseFillLock(_ key: String, token: String, on loop: EventLoop) -> EventLoopFuture<Void>
    /// The token holding the fill lock of `key`, or nil when nobody holds it.
    func fillLockHolder(_ key: String, on loop: EventLoop) -> EventLoopFuture<String?>
    /// Asks for `wake` to run on `loop` whenever a fill of `key` drops its lock (by its store
    /// or its release), until the answer's `cancel()`. The answer is live once a wake-up
    /// published from then on is sure to arrive (short of a lost connection); not live, the
    /// caller must poll.
    func watchFill(_ key: String, on loop: EventLoop, wake: @escaping @Sendable () -> Void) -> EventLoopFuture<FillWakeWatch>
}

/// A fill's subscription to the wake-ups of the key it waits for.
public struct FillWakeWatch: Sendable {
    /// Wake-ups will arrive (while the connection lasts); else the waiter must poll.
    public let live: Bool
    private let stop: @Sendable () -> Void

    public init(live: Bool, stop: @escaping @Sendable () -> Void) {
        self.live = live
        self.stop = stop
    }

    /// No wake-ups (a store without a subscriber).
    public static let inactive = FillWakeWatch(live: false) {}

    /// Ends the subscription; call once.
    public func cancel() { stop() }
}

/// Stores that are not shared between instances need no fill lock: it is always granted.
extension CacheStore {
    public func ticket(key: String, tags: [String], on loop: EventLoop) -> EventLoopFuture<StoreTicket> {
        ticket(tags: tags, on: loop)
    }

    /// A store without replicas: its sequence never goes back, a plain invalidation is enough.
    public func invalidateEverything(keys: [String], tags: [String], on loop: EventLoop) -> EventLoopFuture<Int> {
        invalidate(keys: keys, tags: tags, on: loop)
    }

    /// ``invalidateEverything(keys:tags:on:)`` when `everything` (a drop of every mapped tag:
    /// notifications may have been lost), else ``invalidate(keys:tags:on:)``.
    public func invalidate(keys: [String], tags: [String], everything: Bool, on loop: EventLoop) -> EventLoopFuture<Int> {
        everything ? invalidateEverything(keys: keys, tags: tags, on: loop) : invalidate(keys: keys, tags: tags, on: loop)
    }

    /// How far a sequence jumps after notifications may have been lost: more invalidations than
    /// a replica can lag its primary by.
    public static var sequenceJumpAfterLoss: Int64 { 1 << 32 }

    public func acquireFillLock(_ key: String, token: String, ttlMilliseconds: Int64, on loop: EventLoop) -> EventLoopFuture<Bool> {
        loop.makeSucceededFuture(true)
    }
    public func releaseFillLock(_ key: String, token: String, on loop: EventLoop) -> EventLoopFuture<Void> {
        loop.makeSucceededVoidFuture()
    }
    public func fillLockHolder(_ key: String, on loop: EventLoop) -> EventLoopFuture<String?> {
        loop.makeSucceededFuture(nil)
    }
    public func watchFill(_ key: String, on loop: EventLoop, wake: @escaping @Sendable () -> Void) -> EventLoopFuture<FillWakeWatch> {
        loop.makeSucceededFuture(.inactive)
    }
}
