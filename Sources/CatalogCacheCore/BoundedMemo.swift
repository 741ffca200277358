/// A bounded memo of a pure computation: remembers up to `capacity` results, whose costs
/// (the caller's measure, e.g. bytes) add up to at most `maxCost`, and forgets all of them at
/// once when a new one would exceed either bound.
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
    public let maxCost: Int
    private var storage: [Key: Value] = [:]
    /// The costs remembered since the last reset (a replaced value's cost is counted again,
    /// so this never undercounts).
    public private(set) var cost = 0
    /// How many times the memo was emptied because it was full.
    public private(set) var resets = 0

    /// - Precondition: `capacity > 0`, `maxCost >= 0`.
    public init(capacity: Int, maxCost: Int = .max) {
        precondition(capacity > 0, "a memo needs room for one result")
        precondition(maxCost >= 0, "a negative cost bound")
        self.capacity = capacity
        self.maxCost = maxCost
    }

    public var count: Int { storage.count }

    public func value(for key: Key) -> Value? {
        storage[key]
    }

    /// Remembers `value` for `key`, replacing an earlier one. A value costing more than
    /// `maxCost` on its own is not remembered.
    public mutating func remember(_ value: Value, for key: Key, cost: Int = 0) {
        guard cost <= maxCost else { return }
        if (storage.count >= capacity && storage[key] == nil) || self.cost > maxCost - cost {
            storage.removeAll(keepingCapacity: true)
            self.cost = 0
            resets += 1
        }
        storage[key] = value
        self.cost += cost
    }
}
