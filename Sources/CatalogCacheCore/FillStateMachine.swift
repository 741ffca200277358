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
///                          └──a running fill──► startingWatch ──► waiting: read entry ◄─┐
///                                ├──entry fresh──► finished(peer)                         │ woken by
///                                ├──deadline passed──► fetching                           │ a message,
///                                └──lock still held──► sleeping ─────────────────────────-┘ or the
///                                   lock gone──► one last read ──► finished(peer) or fetching  timer
///
/// The wait is woken by a message: the shell subscribes to the key's wake-ups before the
/// wait's first read (`watchForWake`), and the holder's fill publishes one when its store or
/// release drops the lock (after the write, so a read sent after the message sees it). A
/// wake that arrives while a read is out is kept and answered by one more read instead of
/// sleeping; a timer is the safety net for a lost message: `fallbackMilliseconds` while the
/// subscription is live, `pollMilliseconds` when it could not be made.
///
/// Invariants: the upstream is asked at most once per fill; a lock this fill took is released
/// exactly once (by the store of its entry, or by `.release`), and a token it did not get is
/// forgotten at once; waiting ends by the lock's lifetime (no sleep reaches past it), so a
/// lost peer or a lost message costs at most that; the fill never sleeps with a wake it has
/// not read the entry after; a wake-up asked for is given up exactly once, when the fill
/// finishes; a store error while waiting ends the wait and fetches (fail open, never stall).
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
        /// Subscribe to the wake-ups of the key's fill (each reported with `wake`), then
        /// report `watchStarted` with whether the subscription is live.
        case watchForWake
        /// Read the key's entry while waiting for the lock's holder; report with
        /// `peerEntryRead`. `firstOfWait`: count one fill-lock wait.
        case readPeerEntry(firstOfWait: Bool)
        /// Read who holds the lock while waiting; report with `waitingHolderRead`.
        case readWaitingHolder
        /// Wait `milliseconds`, then report `pollDue(timer:)` with `timer` (a later timer, or a
        /// wake, makes this one stale: its report is ignored).
        case schedulePoll(milliseconds: Int64, timer: Int)
        /// The fill is over: hand `outcome` to its requests, settle the lock token, and give
        /// up the wake-up subscription when `stopWatching`.
        case finish(Outcome, lock: LockRelease, stopWatching: Bool)
    }

    public enum State: Sendable, Equatable {
        case idle
        case readingTicket
        case readingHolder
        /// Subscribing to the key's wake-ups before the wait's first read.
        case startingWatch(deadline: Int64)
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
    /// How often a waiting fill looks for its peer's entry when it cannot be woken.
    public let pollMilliseconds: Int64
    /// How often it looks while wake-ups are live: only a lost message needs it.
    public let fallbackMilliseconds: Int64
    /// This fill's lock token (nil when fills are not locked).
    public let token: String?
    private var holdsLock = false
    /// `watchForWake` was asked for (so the finish gives the subscription up).
    private var watchRequested = false
    /// The subscription is live: the timer is only the safety net.
    private var wakeActive = false
    /// A wake arrived while a read was out: read again rather than sleep.
    private var wakePending = false
    /// The current timer's number; reports of earlier ones are stale.
    private var timer = 0

    public init(lockMilliseconds: Int64, token: String?, pollMilliseconds: Int64 = 10, fallbackMilliseconds: Int64 = 1000) {
        precondition(lockMilliseconds <= 0 || token != nil, "a locked fill needs a token")
        self.lockMilliseconds = lockMilliseconds
        self.token = lockMilliseconds > 0 ? token : nil
        self.pollMilliseconds = pollMilliseconds
        self.fallbackMilliseconds = max(fallbackMilliseconds, pollMilliseconds)
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
            return .finish(.peer(entry), lock: lockTaken ? release : forget, stopWatching: false)
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
        state = .startingWatch(deadline: now + lockMilliseconds)
        watchRequested = true
        return .watchForWake
    }

    /// The subscription to the key's wake-ups was made (`active`) or could not be (the wait
    /// then polls every `pollMilliseconds`).
    public mutating func watchStarted(active: Bool) -> Action {
        guard case .startingWatch(let deadline) = state else { preconditionFailure("watchStarted in \(state)") }
        wakeActive = active
        return readEntry(deadline: deadline, finalRead: false, firstOfWait: true)
    }

    /// A wake-up for the key arrived (its fill stored or released the lock, or the
    /// subscription was remade and messages may have been lost). Asleep: read now; a read
    /// out: read once more after it; otherwise nothing (nil).
    public mutating func wake() -> Action? {
        switch state {
        case .sleeping(let deadline):
            return readEntry(deadline: deadline, finalRead: false, firstOfWait: false)
        case .startingWatch, .waiting, .readingWaitingHolder:
            wakePending = true
            return nil
        default:
            return nil
        }
    }

    private mutating func readEntry(deadline: Int64, finalRead: Bool, firstOfWait: Bool) -> Action {
        // Any wake so far is answered by this read, sent after it.
        wakePending = false
        timer += 1
        state = .waiting(deadline: deadline, finalRead: finalRead)
        return .readPeerEntry(firstOfWait: firstOfWait)
    }

    /// The entry read while waiting: `entry` when fresh and servable; `failed` when the store
    /// could not be read (the wait ends and the fill goes upstream).
    public mutating func peerEntryRead(entry: Entry?, failed: Bool = false, now: Int64) -> Action {
        guard case .waiting(let deadline, let finalRead) = state else { preconditionFailure("peerEntryRead in \(state)") }
        if let entry, !failed {
            state = .finished
            return .finish(.peer(entry), lock: forget, stopWatching: watchRequested)
        }
        if failed || finalRead || now >= deadline {
            state = .fetching
            return .fetch(holdingLock: nil, leftBehind: false)
        }
        state = .readingWaitingHolder(deadline: deadline)
        return .readWaitingHolder
    }

    /// Whether the lock is still held while waiting (`failed`: the store could not say).
    public mutating func waitingHolderRead(held: Bool, failed: Bool = false, now: Int64) -> Action {
        guard case .readingWaitingHolder(let deadline) = state else { preconditionFailure("waitingHolderRead in \(state)") }
        if failed {
            state = .fetching
            return .fetch(holdingLock: nil, leftBehind: false)
        }
        if held {
            // Woken while reading: the entry read may predate the store; read again.
            if wakePending { return readEntry(deadline: deadline, finalRead: false, firstOfWait: false) }
            state = .sleeping(deadline: deadline)
            let interval = wakeActive ? fallbackMilliseconds : pollMilliseconds
            return .schedulePoll(milliseconds: max(0, min(interval, deadline - now)), timer: timer)
        }
        // Released: either its entry is there now, or it stored nothing.
        return readEntry(deadline: deadline, finalRead: true, firstOfWait: false)
    }

    /// Timer `timer` ran out: read again, unless it is stale (a wake or a later timer came
    /// first; nil).
    public mutating func pollDue(timer: Int) -> Action? {
        guard case .sleeping(let deadline) = state, timer == self.timer else { return nil }
        return readEntry(deadline: deadline, finalRead: false, firstOfWait: false)
    }

    /// The upstream answered (`failed`: it did not). `lockReleasedByStore`: the entry was
    /// stored with the lock's token, which released the lock in the same write.
    public mutating func fetchFinished(failed: Bool, lockReleasedByStore: Bool) -> Action {
        guard state == .fetching else { preconditionFailure("fetchFinished in \(state)") }
        state = .finished
        let lock: LockRelease
        if holdsLock && !lockReleasedByStore { lock = release } else { lock = forget }
        return .finish(failed ? .failed : .fetched, lock: lock, stopWatching: watchRequested)
    }

    private var release: LockRelease { token.map(LockRelease.release) ?? .none }
    private var forget: LockRelease { token.map(LockRelease.forget) ?? .none }
}
