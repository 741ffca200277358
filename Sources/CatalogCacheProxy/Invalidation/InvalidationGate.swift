import Synchronization

/// Closes the window between receiving a notification and the store finishing the drop.
///
/// While an invalidation is being applied, entries carrying one of its tags (or stored
/// under one of its keys) are treated as absent by the serve path. Invariant: `begin` runs
/// before the drop starts and `end` after it finished, so from the moment a notification
/// is received no entry it invalidates passes a check of the gate. The check costs one
/// atomic load when nothing is pending, which is almost always.
///
/// A read of the store that was answered before the drop but checked after `end` is not
/// caught by the gate; it may only go to requests that arrived before `end` (they are
/// concurrent with the invalidation). So both `begin` and `end` detach the matching
/// in-flight fills (`flights`): a request arriving after `begin` never joins a fill that
/// started before it, and one arriving after `end` never joins a fill that started while the
/// invalidation was applied (whose reads of the store may predate the drop).
public final class InvalidationGate: Sendable {
    private let pending = Atomic<Int>(0)
    private let state = Mutex<(tags: [String: Int], keys: [String: Int], all: Int)>((tags: [:], keys: [:], all: 0))
    /// The fills new requests join; nil where there are none (tests of the gate alone).
    private let flights: FillCoordinator?

    public init(flights: FillCoordinator? = nil) {
        self.flights = flights
    }

    public func begin(tags: [String], keys: [String], all: Bool = false) {
        state.withLock { s in
            for tag in tags { s.tags[tag, default: 0] += 1 }
            for key in keys { s.keys[key, default: 0] += 1 }
            if all { s.all += 1 }
        }
        pending.add(1, ordering: .sequentiallyConsistent)
        flights?.detach(tags: Set(tags), keys: Set(keys), all: all)
    }

    public func end(tags: [String], keys: [String], all: Bool = false) {
        flights?.detach(tags: Set(tags), keys: Set(keys), all: all)
        state.withLock { s in
            for tag in tags {
                s.tags[tag, default: 0] -= 1
                if s.tags[tag] == 0 { s.tags[tag] = nil }
            }
            for key in keys {
                s.keys[key, default: 0] -= 1
                if s.keys[key] == 0 { s.keys[key] = nil }
            }
            if all { s.all -= 1 }
        }
        pending.subtract(1, ordering: .sequentiallyConsistent)
    }

    /// True when an invalidation in progress covers this entry.
    public func blocks(key: String, tags: [String]) -> Bool {
        guard pending.load(ordering: .sequentiallyConsistent) > 0 else { return false }
        return state.withLock { s in s.all > 0 || s.keys[key] != nil || tags.contains { s.tags[$0] != nil } }
    }
}
