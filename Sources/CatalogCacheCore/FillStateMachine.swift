/// The fill protocol of one key in one instance, as a value: the leader of a miss asks for
/// the store's ticket (and, when fills are locked, the key's fill lock) in one round trip,
/// then either uses an entry another fill has just stored, goes upstream holding the lock,
/// or waits for the fill that holds it. The shell (`FillRunner`) executes the actions and
/// reports what happened; this type performs no I/O and reads no clock.
///
///     start ─► readingTicket ──fresh entry there──────────────────────────► finished(peer)
///                  ├──lock taken (or no locking)──► fetching ──► finished(fetched)
///                  └──lock held elsewhere──► readingHolder
///                          ├──our own leftover──► fetching (unlocked)
///                          └──a running fill──► waiting: read entry ◄─┐
///                                ├──entry fresh──► finished(peer)      │ poll
///                                ├──deadline passed──► fetching        │
///                                └──lock still held──────────────────-─┘
///                                   lock gone──► one last read ──► finished(peer) or fetching
///
/// Invariants: the upstream is asked at most once per fill; a lock this fill took is released
/// exactly once (by the store of its entry, or by `.release`), and a token it did not get is
/// forgotten at once; waiting ends by the lock's lifetime, so a lost peer costs at most that;
/// a store error while waiting ends the wait and fetches (fail open, never stall).
public struct FillStateMachine<Entry: Sendable>: Sendable {
    /// What a finished fill hands to its requests.
    public enum Outcome: Sendable {
        /// Another fill (here or in another instance) stored a fresh entry: no upstream request.
        case peer(Entry)
        /// This fill went upstream; the shell holds what it got.
        case fetched
        /// The upstream failed (the shell holds the error).
        case failed
    }

    /// What to do with this fill's lock token when the fill finishes.
    public enum LockRelease: Sendable, Equatable {
        /// The token stands for no lock (none taken, or released by the store of the entry).
        case forget(String)
        /// This fill holds the lock: release it.
        case release(String)
        /// No token was used (fills are not locked).
        case none
    }

    public enum Action: Sendable {
        /// Read the store's ticket for the key, and take its fill lock under `lockToken` when
        /// one is given; report with `ticketRead`.
        case readTicket(lockToken: String?)
        /// Ask the upstream, once; store the entry with the ticket (its lock token attached when
        /// `holdingLock`); report with `fetchFinished`. `leftBehind`: the lock waited for was
        /// this instance's own, left by a lost release (count it).
        case fetch(holdingLock: String?, leftBehind: Bool)
        /// Read who holds the key's fill lock; report with `holderRead`.
        case readLockHolder
        /// Read the key's entry while waiting for the lock's holder; report with
        /// `peerEntryRead`. `firstOfWait`: count one fill-lock wait.
        case readPeerEntry(firstOfWait: Bool)
        /// Read who holds the lock while waiting; report with `waitingHolderRead`.
        case readWaitingHolder
        /// Wait `milliseconds`, then report `pollDue`.
        case schedulePoll(milliseconds: Int64)
        /// The fill is over: hand `outcome` to its requests and settle the lock token.
        case finish(Outcome, lock: LockRelease)
    }

    public enum State: Sendable, Equatable {
        case idle
        case readingTicket
        case readingHolder
        case fetching
        /// Waiting for another fill: `finalRead` once its lock was seen gone.
        case waiting(deadline: Int64, finalRead: Bool)
        case readingWaitingHolder(deadline: Int64)
        case sleeping(deadline: Int64)
        case finished
    }

    public private(set) var state: State = .idle
    /// How long a fill lock lives; 0: fills are not locked (each instance fills alone).
    public let lockMilliseconds: Int64
    /// How often a waiting fill looks for its peer's entry.
    public let pollMilliseconds: Int64
    /// This fill's lock token (nil when fills are not locked).
    public let token: String?
    private var holdsLock = false

    public init(lockMilliseconds: Int64, token: String?, pollMilliseconds: Int64 = 10) {
        precondition(lockMilliseconds <= 0 || token != nil, "a locked fill needs a token")
        self.lockMilliseconds = lockMilliseconds
        self.token = lockMilliseconds > 0 ? token : nil
        self.pollMilliseconds = pollMilliseconds
    }

    public mutating func start() -> Action {
        precondition(state == .idle, "start twice")
        state = .readingTicket
        return .readTicket(lockToken: token)
    }

    /// The ticket was read (or failed: `entry` nil, and the fill stores nothing). `entry`: a
    /// fresh, servable entry found under the key; `lockTaken`: the lock is now this fill's.
    public mutating func ticketRead(entry: Entry?, lockTaken: Bool) -> Action {
        guard state == .readingTicket else { preconditionFailure("ticketRead in \(state)") }
        if let entry {
            state = .finished
            return .finish(.peer(entry), lock: lockTaken ? release : forget)
        }
        guard token != nil, !lockTaken else {
            holdsLock = lockTaken
            state = .fetching
            return .fetch(holdingLock: lockTaken ? token : nil, leftBehind: false)
        }
        state = .readingHolder
        return .readLockHolder
    }

    /// Who holds the lock this fill did not get. `ownLeftover`: a token of this instance that
    /// none of its running fills holds (its release was lost); not waited for.
    public mutating func holderRead(ownLeftover: Bool, now: Int64) -> Action {
        guard state == .readingHolder else { preconditionFailure("holderRead in \(state)") }
        if ownLeftover {
            state = .fetching
            return .fetch(holdingLock: nil, leftBehind: true)
        }
        state = .waiting(deadline: now + lockMilliseconds, finalRead: false)
        return .readPeerEntry(firstOfWait: true)
    }

    /// The entry read while waiting: `entry` when fresh and servable; `failed` when the store
    /// could not be read (the wait ends and the fill goes upstream).
    public mutating func peerEntryRead(entry: Entry?, failed: Bool = false, now: Int64) -> Action {
        guard case .waiting(let deadline, let finalRead) = state else { preconditionFailure("peerEntryRead in \(state)") }
        if let entry, !failed {
            state = .finished
            return .finish(.peer(entry), lock: forget)
        }
        if failed || finalRead || now >= deadline {
            state = .fetching
            return .fetch(holdingLock: nil, leftBehind: false)
        }
        state = .readingWaitingHolder(deadline: deadline)
        return .readWaitingHolder
    }

    /// Whether the lock is still held while waiting (`failed`: the store could not say).
    public mutating func waitingHolderRead(held: Bool, failed: Bool = false) -> Action {
        guard case .readingWaitingHolder(let deadline) = state else { preconditionFailure("waitingHolderRead in \(state)") }
        if failed {
            state = .fetching
            return .fetch(holdingLock: nil, leftBehind: false)
        }
        if held {
            state = .sleeping(deadline: deadline)
            return .schedulePoll(milliseconds: pollMilliseconds)
        }
        // Released: either its entry is there now, or it stored nothing.
        state = .waiting(deadline: deadline, finalRead: true)
        return .readPeerEntry(firstOfWait: false)
    }

    public mutating func pollDue() -> Action {
        guard case .sleeping(let deadline) = state else { preconditionFailure("pollDue in \(state)") }
        state = .waiting(deadline: deadline, finalRead: false)
        return .readPeerEntry(firstOfWait: false)
    }

    /// The upstream answered (`failed`: it did not). `lockReleasedByStore`: the entry was
    /// stored with the lock's token, which released the lock in the same write.
    public mutating func fetchFinished(failed: Bool, lockReleasedByStore: Bool) -> Action {
        guard state == .fetching else { preconditionFailure("fetchFinished in \(state)") }
        state = .finished
        let lock: LockRelease
        if holdsLock && !lockReleasedByStore { lock = release } else { lock = forget }
        return .finish(failed ? .failed : .fetched, lock: lock)
    }

    private var release: LockRelease { token.map(LockRelease.release) ?? .none }
    private var forget: LockRelease { token.map(LockRelease.forget) ?? .none }
}
