import Synchronization

/// Closes the window between receiving a notification and the store finishing the drop.
///
/// While an invalidation is being applied, entries carrying one of its tags (or stored
/// under one of its keys) are treated as absent by the serve path. Invariant: `begin` runs
/// before the drop starts and `end` after it finished, so from the moment a notification
/// is received no request is served what it invalidates. The check costs one atomic load
/// when nothing is pending, which is almost always.
public final class InvalidationGate: Sendable {
    private let pending = Atomic<Int>(0)
    private let state = Mutex<(tags: [String: Int], keys: [String: Int], all: Int)>((tags: [:], keys: [:], all: 0))

    public init() {}

    public func begin(tags: [String], keys: [String], all: Bool = false) {
        state.withLock { s in
            for tag in tags { s.tags[tag, default: 0] += 1 }
            for key in keys { s.keys[key, default: 0] += 1 }
            if all { s.all += 1 }
        }
        pending.add(1, ordering: .sequentiallyConsistent)
    }

    public func end(tags: [String], keys: [String], all: Bool = false) {
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
