/// A bounded memo of a pure computation: remembers up to `capacity` results and forgets all
/// of them at once when a new one would exceed the bound.
///
/// Meant for results that are a function of their key alone (for example a request target's
/// route and cache key under a fixed configuration), so forgetting is always safe: the caller
/// recomputes. Clearing everything instead of evicting one entry keeps `remember` O(1)
/// amortised with no per-entry bookkeeping; a working set smaller than the capacity stays
/// remembered, a larger one is recomputed in bursts.
///
/// Not thread-safe: a value type, kept by one owner (one per event loop).
public struct BoundedMemo<Key: Hashable, Value> {
    public let capacity: Int
    private var storage: [Key: Value] = [:]
    /// How many times the memo was emptied because it was full.
    public private(set) var resets = 0

    /// - Precondition: `capacity > 0`.
    public init(capacity: Int) {
        precondition(capacity > 0, "a memo needs room for one result")
        self.capacity = capacity
    }

    public var count: Int { storage.count }

    public func value(for key: Key) -> Value? {
        storage[key]
    }

    /// Remembers `value` for `key`, replacing an earlier one.
    public mutating func remember(_ value: Value, for key: Key) {
        if storage.count >= capacity, storage[key] == nil {
            storage.removeAll(keepingCapacity: true)
            resets += 1
        }
        storage[key] = value
    }
}
