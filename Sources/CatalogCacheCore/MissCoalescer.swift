/// Single-flight bookkeeping for cache misses: one upstream fetch per key at a time, the other
/// requests for that key wait for it.
///
/// Invariants: a key is in flight from the `join` that returned `.leader` until `complete`;
/// each in-flight key holds at most `maxWaiters` followers (the leader is not counted and not
/// stored). The type is a plain value: the caller serializes access (one event loop or a lock).
public struct MissCoalescer<Waiter> {
    private var followers: [String: [Waiter]] = [:]

    public init() {}

    /// Registers a request for `key`. The waiter is stored only when the result is `.follower`.
    public mutating func join(key: String, waiter: Waiter, maxWaiters: Int) -> JoinResult {
        guard let waitingCount = followers[key]?.count else {
            followers[key] = []
            return .leader
        }
        guard waitingCount < maxWaiters else { return .overflow }
        followers[key]?.append(waiter)
        return .follower
    }

    /// Ends the flight for `key`: returns its followers in join order (not the leader) and
    /// forgets the key. Unknown keys return no waiters.
    public mutating func complete(key: String) -> [Waiter] {
        followers.removeValue(forKey: key) ?? []
    }

    /// Number of keys with a fetch under way.
    public var inFlightCount: Int { followers.count }

    /// Whether `key` has a fetch under way.
    public func isInFlight(_ key: String) -> Bool { followers[key] != nil }

    /// Number of followers waiting for `key`.
    public func waiterCount(for key: String) -> Int { followers[key]?.count ?? 0 }
}

extension MissCoalescer: Sendable where Waiter: Sendable {}
