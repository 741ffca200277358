/// Fill leases (no stale fill), in the manner of memcache leases: a response fetched before an
/// invalidation must not be stored after it.
///
/// **Invariant for callers:** take a ticket (`snapshot`) *before* sending the upstream request,
/// and store the response only if `isCurrent(ticket)` is still true after it arrives. A fill
/// whose ticket is not current must not be stored (it may predate the invalidation).
///
/// How it works: one counter increases with every invalidation call. Invalidating a tag or
/// key records the new counter value as that name's mark; `invalidateAll` records it as the
/// epoch. A ticket records the counter at snapshot time, and is current while the epoch and
/// the marks of its tags and key are all at or below that value.
///
/// Memory stays bounded: when more than `capacity` names carry marks, the older half is
/// forgotten and `floor` is raised to the newest forgotten mark. Tickets taken before the floor
/// are then no longer current, because they might have been invalidated by a forgotten mark.
/// Forgetting can only reject fills, never accept a stale one.
public struct TagGenerations: Sendable {
    public let capacity: Int
    /// The counter: the number of invalidation calls so far.
    public private(set) var counter: UInt64 = 0
    /// The counter value of the last `invalidateAll`.
    public private(set) var epoch: UInt64 = 0
    /// Tickets with a generation below this are not current (see the type docs).
    public private(set) var floor: UInt64 = 0

    private var tagMarks: [String: UInt64] = [:]
    private var keyMarks: [String: UInt64] = [:]

    /// - Parameter capacity: how many tag and key marks to keep before pruning (at least 2).
    public init(capacity: Int = 100_000) {
        self.capacity = max(2, capacity)
    }

    /// How many tag and key marks are kept.
    public var trackedCount: Int { tagMarks.count + keyMarks.count }

    public mutating func invalidate(tags: some Sequence<String>) {
        counter += 1
        for tag in tags { tagMarks[tag] = counter }
        pruneIfNeeded()
    }

    public mutating func invalidate(keys: some Sequence<String>) {
        counter += 1
        for key in keys { keyMarks[key] = counter }
        pruneIfNeeded()
    }

    /// Invalidates everything (e.g. after the notification connection was lost). Forgets all
    /// marks: the epoch covers them.
    public mutating func invalidateAll() {
        counter += 1
        epoch = counter
        tagMarks.removeAll()
        keyMarks.removeAll()
    }

    public func snapshot(for tags: [String]) -> FillTicket {
        FillTicket(generation: counter, tags: tags, key: nil)
    }

    public func snapshot(key: String, tags: [String]) -> FillTicket {
        FillTicket(generation: counter, tags: tags, key: key)
    }

    /// Whether nothing the ticket covers was invalidated since it was taken.
    public func isCurrent(_ ticket: FillTicket) -> Bool {
        guard ticket.generation >= floor, ticket.generation >= epoch, ticket.generation <= counter else { return false }
        for tag in ticket.tags {
            if let mark = tagMarks[tag], mark > ticket.generation { return false }
        }
        if let key = ticket.key, let mark = keyMarks[key], mark > ticket.generation { return false }
        return true
    }

    private mutating func pruneIfNeeded() {
        guard trackedCount > capacity else { return }
        let marks = (Array(tagMarks.values) + Array(keyMarks.values)).sorted()
        let threshold = marks[marks.count / 2]
        tagMarks = tagMarks.filter { $0.value > threshold }
        keyMarks = keyMarks.filter { $0.value > threshold }
        floor = max(floor, threshold)
    }
}
