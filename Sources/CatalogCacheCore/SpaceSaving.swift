/// The heaviest hitters of a stream in bounded memory: the Space-Saving algorithm
/// (Metwally, Agrawal, El Abbadi, 2005).
///
/// At most `capacity` keys are monitored. A key not monitored when the table is full takes
/// the place of the key with the smallest count and inherits that count as its error, so
/// `count - error <= true count <= count` for every monitored key, and every key whose true
/// count exceeds `total / capacity` is monitored. Recording is O(1) for a monitored key and
/// O(capacity) otherwise; callers sample (1 in N requests) and hold a lock only then.
public struct SpaceSaving<Key: Hashable & Comparable>: Sendable where Key: Sendable {
    public struct Item: Sendable, Equatable {
        public var key: Key
        /// An upper bound of the key's weight recorded while monitored (plus inherited error).
        public var count: Int
        /// How much of `count` may belong to keys this one replaced.
        public var error: Int

        public init(key: Key, count: Int, error: Int) {
            self.key = key
            self.count = count
            self.error = error
        }
    }

    public let capacity: Int
    private var slots: [Key: (count: Int, error: Int)] = [:]
    /// The weight recorded since creation (halved by `decay`, like the counts).
    public private(set) var total = 0

    public init(capacity: Int) {
        precondition(capacity >= 1)
        self.capacity = capacity
        slots.reserveCapacity(capacity)
    }

    public var count: Int { slots.count }

    public mutating func record(_ key: Key, weight: Int = 1) {
        total += weight
        if let slot = slots[key] {
            slots[key] = (slot.count + weight, slot.error)
            return
        }
        if slots.count < capacity {
            slots[key] = (weight, 0)
            return
        }
        // Replace the minimum (ties: the greatest key, so the choice is deterministic).
        var victim: (key: Key, count: Int)?
        for (k, v) in slots {
            if let current = victim, v.count > current.count || (v.count == current.count && k < current.key) { continue }
            victim = (k, v.count)
        }
        let (victimKey, minimum) = victim!
        slots[victimKey] = nil
        slots[key] = (minimum + weight, minimum)
    }

    /// The `n` heaviest monitored keys, heaviest first (ties by key).
    public func top(_ n: Int) -> [Item] {
        let items = slots.map { Item(key: $0.key, count: $0.value.count, error: $0.value.error) }
        return Array(items.sorted { $0.count != $1.count ? $0.count > $1.count : $0.key < $1.key }.prefix(max(n, 0)))
    }

    /// Halves every count and error (and the total), dropping keys that reach zero: old
    /// traffic fades so the table follows what is hot now.
    public mutating func decay() {
        total /= 2
        var kept: [Key: (count: Int, error: Int)] = [:]
        kept.reserveCapacity(capacity)
        for (k, v) in slots where v.count / 2 > 0 { kept[k] = (v.count / 2, v.error / 2) }
        slots = kept
    }
}
