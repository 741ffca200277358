/// How a fill stores its result when the entry, its tags' sets and marks, and the
/// invalidation sequence live in different slots of a Redis Cluster, so that no single script
/// can see them all.
///
/// Layout (each line one slot): the sequence `P{seq}`; per tag, its members (a sorted set of
/// entry keys, each scored with the sequence its fill started at) and its mark (the sequence
/// number of the tag's last invalidation) under the hash tag of the tag;
/// per entry, the entry, its fill lock and its tombstone (the sequence number of the last
/// invalidation that dropped it) under the hash tag of the entry's key.
///
/// The fill, each action atomic in its own slot:
/// 1. read the sequence `s0` (before going upstream);
/// 2. fetch; the tags are now known (a list's tags are the ids its body holds);
/// 3. in each tag's slot: add the key to the tag's members with score `s0` (only ever raising
///    a member's score) and read the tag's mark; any mark above `s0` refuses the store (an
///    invalidation of that tag began after `s0`);
/// 4. in the entry's slot: store unless the entry's tombstone is above `s0`.
///
/// Invariant (checked over every interleaving with ``CrossSlotInvalidation`` by
/// `CrossSlotProtocolModelTests`): once an invalidation has finished, no entry it covers
/// holds an answer older than the write it announces, whatever the fill was doing meanwhile.
/// Why: an invalidation that marked a tag before step 3 refuses the store there (or the fill
/// started after it began, and its answer is new enough); one that marked it after step 3
/// finds the key among the members and tombstones it, which refuses step 4 or, when step 4
/// came first, deletes what it stored.
public struct CrossSlotFill: Sendable, Hashable {
    public enum Action: Sendable, Hashable {
        /// GET the sequence, then report it with ``sequenceRead(_:)``.
        case readSequence
        /// Go upstream, then report the entry's tags with ``fetched(tags:)``.
        case fetch
        /// In each tag's slot: `ZADD GT` the key with score `sequence` to the tag's members and
        /// read the tag's mark; report every mark with ``registered(marks:)``.
        case register(tags: [String], sequence: Int)
        /// In the entry's slot: store unless its tombstone is above `sequence`; report with
        /// ``storeAnswered(stored:)``.
        case storeUnlessTombstonedAfter(sequence: Int)
        /// Finished: `stored` tells whether the entry was written.
        case done(stored: Bool)
    }

    private enum State: Sendable, Hashable {
        case idle, readingSequence, fetching(Int), registering(Int), storing, finished
    }

    private var state = State.idle

    public init() {}

    public mutating func start() -> Action {
        precondition(state == .idle, "a fill starts once")
        state = .readingSequence
        return .readSequence
    }

    public mutating func sequenceRead(_ sequence: Int) -> Action {
        guard case .readingSequence = state else { preconditionFailure("sequence read out of order") }
        state = .fetching(sequence)
        return .fetch
    }

    public mutating func fetched(tags: [String]) -> Action {
        guard case .fetching(let sequence) = state else { preconditionFailure("fetched out of order") }
        if tags.isEmpty {
            state = .storing
            return .storeUnlessTombstonedAfter(sequence: sequence)
        }
        state = .registering(sequence)
        return .register(tags: tags, sequence: sequence)
    }

    /// The marks read in step 3, one per tag (a tag never invalidated has mark 0).
    public mutating func registered(marks: [Int]) -> Action {
        guard case .registering(let sequence) = state else { preconditionFailure("registered out of order") }
        if marks.contains(where: { $0 > sequence }) {
            state = .finished
            return .done(stored: false)
        }
        state = .storing
        return .storeUnlessTombstonedAfter(sequence: sequence)
    }

    public mutating func storeAnswered(stored: Bool) -> Action {
        guard case .storing = state else { preconditionFailure("store answered out of order") }
        state = .finished
        return .done(stored: stored)
    }
}

/// How an invalidation of tags drops entries across the slots of a Redis Cluster; the
/// counterpart of ``CrossSlotFill``, each action atomic in its own slot:
/// 1. INCR the sequence: this invalidation's number `s`;
/// 2. in each tag's slot: raise the tag's mark to `s` (never lower it: invalidations of one
///    tag may reach its slot out of order) and read every member;
/// 3. in each member's slot: delete the entry and raise its tombstone to `s`;
/// 4. in each tag's slot: remove the members scored below `s` (cleanup: the invalidation is
///    complete after step 3, and this step may reach its slots at any later point).
///
/// Every member is dropped, whatever its score: a key's score may have been raised by a fill
/// that started after `s` while the entry stored under it is older. Members are removed only
/// after they were dropped (step 4 after 3), so another instance applying the same
/// notification, or a later one, at the same time still finds them; and only those scored
/// below `s`, so a fill that started after `s` stays findable by the next invalidation. A
/// fill registering after step 2 either sees the mark (and is refused) or started after `s`.
/// Tombstones and marks must outlive any fill (bounded by the upstream's total timeout).
public struct CrossSlotInvalidation: Sendable, Hashable {
    public enum Action: Sendable, Hashable {
        case incrementSequence
        case markAndTakeMembers(tags: [String], sequence: Int)
        case dropAndTombstone(keys: [String], sequence: Int)
        case forgetMembers(tags: [String], below: Int)
        case done
    }

    private enum State: Sendable, Hashable {
        case idle, incrementing, taking(Int), dropping(Int), forgetting, finished
    }

    private let tags: [String]
    private var state = State.idle

    public init(tags: [String]) {
        self.tags = tags
    }

    public mutating func start() -> Action {
        precondition(state == .idle, "an invalidation starts once")
        state = .incrementing
        return .incrementSequence
    }

    public mutating func sequenceIncremented(to sequence: Int) -> Action {
        guard case .incrementing = state else { preconditionFailure("sequence out of order") }
        if tags.isEmpty {
            state = .finished
            return .done
        }
        state = .taking(sequence)
        return .markAndTakeMembers(tags: tags, sequence: sequence)
    }

    /// The members taken from every tag's set.
    public mutating func membersTaken(_ keys: [String]) -> Action {
        guard case .taking(let sequence) = state else { preconditionFailure("members out of order") }
        let unique = Array(Set(keys)).sorted()
        if unique.isEmpty {
            state = .finished
            return .done
        }
        state = .dropping(sequence)
        return .dropAndTombstone(keys: unique, sequence: sequence)
    }

    public mutating func dropped() -> Action {
        guard case .dropping(let sequence) = state else { preconditionFailure("dropped out of order") }
        state = .forgetting
        return .forgetMembers(tags: tags, below: sequence)
    }

    public mutating func forgotten() -> Action {
        guard case .forgetting = state else { preconditionFailure("forgotten out of order") }
        state = .finished
        return .done
    }
}
