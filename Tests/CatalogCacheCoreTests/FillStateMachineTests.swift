import Testing

@testable import CatalogCacheCore

/// The fill protocol against a mock executor: every answer the store, the upstream and the
/// clock can give at each step, explored exhaustively (polls bounded), with the protocol's
/// invariants checked on every path; and the paths that matter spelled out one by one.
@Suite struct FillStateMachineTests {
    typealias Machine = FillStateMachine<String>

    // MARK: Paths

    @Test func unlockedFillReadsTheTicketThenFetchesOnce() {
        var m = Machine(lockMilliseconds: 0, token: "me.1")
        guard case .readTicket(lockToken: nil) = m.start() else { Issue.record("no ticket read"); return }
        guard case .fetch(holdingLock: nil, leftBehind: false) = m.ticketRead(entry: nil, lockTaken: false) else { Issue.record("no fetch"); return }
        guard case .finish(.fetched, lock: .none, stopWatching: false) = m.fetchFinished(failed: false, lockReleasedByStore: false) else { Issue.record("not finished"); return }
        #expect(m.state == .finished)
    }

    @Test func anEntryFoundWithTheTicketIsServedAndATakenLockReleased() {
        var m = Machine(lockMilliseconds: 500, token: "me.1")
        guard case .readTicket(lockToken: "me.1") = m.start() else { Issue.record("lock not asked for"); return }
        guard case .finish(.peer("entry"), lock: .release("me.1"), stopWatching: false) = m.ticketRead(entry: "entry", lockTaken: true) else { Issue.record("entry not used"); return }
    }

    @Test func anEntryFoundWithoutTheLockForgetsTheToken() {
        var m = Machine(lockMilliseconds: 500, token: "me.1")
        _ = m.start()
        guard case .finish(.peer("entry"), lock: .forget("me.1"), stopWatching: false) = m.ticketRead(entry: "entry", lockTaken: false) else { Issue.record("token kept"); return }
    }

    @Test func theLockHolderFetchesHoldingItAndTheStoreReleasesIt() {
        var m = Machine(lockMilliseconds: 500, token: "me.1")
        _ = m.start()
        guard case .fetch(holdingLock: "me.1", leftBehind: false) = m.ticketRead(entry: nil, lockTaken: true) else { Issue.record("no locked fetch"); return }
        guard case .finish(.fetched, lock: .forget("me.1"), stopWatching: false) = m.fetchFinished(failed: false, lockReleasedByStore: true) else { Issue.record("released twice"); return }
    }

    @Test func aFailedFetchReleasesTheLockItHolds() {
        var m = Machine(lockMilliseconds: 500, token: "me.1")
        _ = m.start()
        _ = m.ticketRead(entry: nil, lockTaken: true)
        guard case .finish(.failed, lock: .release("me.1"), stopWatching: false) = m.fetchFinished(failed: true, lockReleasedByStore: false) else { Issue.record("lock kept"); return }
    }

    @Test func aLockLeftBehindByThisInstanceIsNotWaitedFor() {
        var m = Machine(lockMilliseconds: 500, token: "me.2")
        _ = m.start()
        guard case .readLockHolder = m.ticketRead(entry: nil, lockTaken: false) else { Issue.record("holder not read"); return }
        guard case .fetch(holdingLock: nil, leftBehind: true) = m.holderRead(ownLeftover: true, now: 0) else { Issue.record("waited for a leftover"); return }
    }

    @Test func aPeersFillIsWaitedForAndItsEntryServed() {
        var m = Machine(lockMilliseconds: 500, token: "me.1")
        _ = m.start()
        _ = m.ticketRead(entry: nil, lockTaken: false)
        guard case .watchForWake = m.holderRead(ownLeftover: false, now: 1_000) else { Issue.record("no wake-up asked for"); return }
        guard case .readPeerEntry(firstOfWait: true) = m.watchStarted(active: false) else { Issue.record("no wait"); return }
        guard case .readWaitingHolder = m.peerEntryRead(entry: nil, now: 1_000) else { Issue.record("holder not checked"); return }
        guard case .schedulePoll(milliseconds: 10, let timer) = m.waitingHolderRead(held: true, now: 1_000) else { Issue.record("no poll"); return }
        guard case .readPeerEntry(firstOfWait: false) = m.pollDue(timer: timer) else { Issue.record("no read after the poll"); return }
        guard case .finish(.peer("peer"), lock: .forget("me.1"), stopWatching: true) = m.peerEntryRead(entry: "peer", now: 1_010) else { Issue.record("peer entry not used"); return }
    }

    @Test func aLockReleasedWithoutAnEntryGetsOneLastReadThenAFetch() {
        var m = Machine(lockMilliseconds: 500, token: "me.1")
        _ = m.start()
        _ = m.ticketRead(entry: nil, lockTaken: false)
        _ = m.holderRead(ownLeftover: false, now: 0)
        _ = m.watchStarted(active: true)
        _ = m.peerEntryRead(entry: nil, now: 0)
        guard case .readPeerEntry(firstOfWait: false) = m.waitingHolderRead(held: false, now: 0) else { Issue.record("no last read"); return }
        guard case .fetch(holdingLock: nil, leftBehind: false) = m.peerEntryRead(entry: nil, now: 1) else { Issue.record("no fetch after the lock went"); return }
    }

    @Test func theWaitEndsAtTheLocksLifetime() {
        var m = Machine(lockMilliseconds: 500, token: "me.1")
        _ = m.start()
        _ = m.ticketRead(entry: nil, lockTaken: false)
        _ = m.holderRead(ownLeftover: false, now: 1_000)
        _ = m.watchStarted(active: false)
        _ = m.peerEntryRead(entry: nil, now: 1_499)
        guard case .schedulePoll(_, let timer) = m.waitingHolderRead(held: true, now: 1_499) else { Issue.record("no poll"); return }
        _ = m.pollDue(timer: timer)
        guard case .fetch(holdingLock: nil, leftBehind: false) = m.peerEntryRead(entry: nil, now: 1_500) else { Issue.record("waited past the lock's lifetime"); return }
    }

    @Test func aStoreErrorWhileWaitingEndsTheWait() {
        var m = Machine(lockMilliseconds: 500, token: "me.1")
        _ = m.start()
        _ = m.ticketRead(entry: nil, lockTaken: false)
        _ = m.holderRead(ownLeftover: false, now: 0)
        _ = m.watchStarted(active: true)
        guard case .fetch = m.peerEntryRead(entry: nil, failed: true, now: 0) else { Issue.record("stalled on a read error"); return }
        var n = Machine(lockMilliseconds: 500, token: "me.1")
        _ = n.start()
        _ = n.ticketRead(entry: nil, lockTaken: false)
        _ = n.holderRead(ownLeftover: false, now: 0)
        _ = n.watchStarted(active: true)
        _ = n.peerEntryRead(entry: nil, now: 0)
        guard case .fetch = n.waitingHolderRead(held: true, failed: true, now: 0) else { Issue.record("stalled on a holder error"); return }
    }

    // MARK: Wake-ups

    /// A waiter whose subscription is live sleeps until the fallback timer (not the 10 ms
    /// poll), and a wake reads at once; the timer it outran is stale.
    @Test func aLiveSubscriptionSleepsUntilWokenAndTheOutrunTimerIsStale() {
        var m = Machine(lockMilliseconds: 5_000, token: "me.1", fallbackMilliseconds: 1_000)
        _ = m.start()
        _ = m.ticketRead(entry: nil, lockTaken: false)
        _ = m.holderRead(ownLeftover: false, now: 0)
        _ = m.watchStarted(active: true)
        _ = m.peerEntryRead(entry: nil, now: 0)
        guard case .schedulePoll(milliseconds: 1_000, let timer) = m.waitingHolderRead(held: true, now: 0) else { Issue.record("not the fallback timer"); return }
        guard case .readPeerEntry(firstOfWait: false) = m.wake() else { Issue.record("a wake did not read"); return }
        #expect(m.pollDue(timer: timer) == nil, "the outrun timer read again")
        #expect(m.wake() == nil, "a second wake while reading sent a second read")
        guard case .finish(.peer("peer"), lock: .forget("me.1"), stopWatching: true) = m.peerEntryRead(entry: "peer", now: 5) else { Issue.record("peer entry not used"); return }
        #expect(m.wake() == nil)
    }

    /// The message arrives while the entry or the holder is being read (the store happened
    /// just after the entry read): the fill reads again instead of going to sleep.
    @Test func aWakeDuringAReadIsNotLost() {
        var m = Machine(lockMilliseconds: 5_000, token: "me.1", fallbackMilliseconds: 1_000)
        _ = m.start()
        _ = m.ticketRead(entry: nil, lockTaken: false)
        _ = m.holderRead(ownLeftover: false, now: 0)
        _ = m.watchStarted(active: true)
        #expect(m.wake() == nil)
        guard case .readWaitingHolder = m.peerEntryRead(entry: nil, now: 0) else { Issue.record("holder not read"); return }
        guard case .readPeerEntry(firstOfWait: false) = m.waitingHolderRead(held: true, now: 1) else { Issue.record("slept on a wake"); return }
        guard case .finish(.peer("peer"), lock: .forget("me.1"), stopWatching: true) = m.peerEntryRead(entry: "peer", now: 2) else { Issue.record("peer entry not used"); return }
    }

    /// No sleep reaches past the lock's lifetime, however long the fallback.
    @Test func theFallbackTimerStopsAtTheLocksLifetime() {
        var m = Machine(lockMilliseconds: 500, token: "me.1", fallbackMilliseconds: 60_000)
        _ = m.start()
        _ = m.ticketRead(entry: nil, lockTaken: false)
        _ = m.holderRead(ownLeftover: false, now: 1_000)
        _ = m.watchStarted(active: true)
        _ = m.peerEntryRead(entry: nil, now: 1_100)
        guard case .schedulePoll(milliseconds: 400, let timer) = m.waitingHolderRead(held: true, now: 1_100) else { Issue.record("slept past the lock"); return }
        _ = m.pollDue(timer: timer)
        guard case .fetch(holdingLock: nil, leftBehind: false) = m.peerEntryRead(entry: nil, now: 1_500) else { Issue.record("waited past the lock's lifetime"); return }
        guard case .finish(.fetched, lock: .forget("me.1"), stopWatching: true) = m.fetchFinished(failed: false, lockReleasedByStore: false) else { Issue.record("subscription kept"); return }
    }

    // MARK: Every path

    /// One run of the mock executor: the actions it was given, in order, and what it knows.
    struct Trace {
        var actions: [Machine.Action] = []
        var lockTaken = false
        var releasedByStore = false
        /// When the wait began (`watchForWake`), and whether its subscription is live.
        var waitStart: Int64?
        var wakeActive = false
        var wakes = 0
        /// A wake arrived and no entry read was sent after it.
        var unreadWake = false
    }

    static let lock: Int64 = 250
    static let poll: Int64 = 50
    static let fallback: Int64 = 100
    static let maxWakes = 2

    /// Records `action` and checks, as it is given, what must hold at that moment: no sleep
    /// with a wake unread, no sleep past the lock's lifetime, the fallback interval only while
    /// the subscription is live.
    func record(_ action: Machine.Action, in trace: inout Trace, now: Int64) {
        trace.actions.append(action)
        switch action {
        case .watchForWake:
            trace.waitStart = now
        case .readPeerEntry:
            trace.unreadWake = false
        case .schedulePoll(let milliseconds, _):
            #expect(!trace.unreadWake, "asleep with a wake unread: \(trace.actions)")
            let deadline = (trace.waitStart ?? now) + Self.lock
            #expect(now + milliseconds <= max(deadline, now), "a sleep past the lock's lifetime: \(trace.actions)")
            #expect(milliseconds <= (trace.wakeActive ? Self.fallback : Self.poll))
            #expect(milliseconds == (trace.wakeActive ? Self.fallback : Self.poll) || now + milliseconds == deadline)
        default:
            break
        }
    }

    /// Every answer at every step: entry or not, lock taken or not, leftover or not, the
    /// subscription live or not, entry or none while waiting, read errors, the lock held or
    /// gone, fetch failed or stored with the lock's release; and while waiting, a wake (up to
    /// two) before any answer or instead of the timer. The clock moves with each timer
    /// (at least 10 ms), so waits end by time too.
    func explore(_ machine: Machine, _ action: Machine.Action, _ trace: Trace, now: Int64, visit: (Trace) -> Void) {
        var trace = trace
        record(action, in: &trace, now: now)
        // A wake while a read of the wait is out: kept, nothing sent now.
        switch action {
        case .watchForWake, .readPeerEntry, .readWaitingHolder:
            if trace.wakes < Self.maxWakes {
                var m = machine
                var t = trace
                t.wakes += 1
                t.unreadWake = true
                #expect(m.wake() == nil, "a wake sent a read while one was out")
                t.actions.removeLast()
                explore(m, action, t, now: now, visit: visit)
            }
        default:
            break
        }
        switch action {
        case .readTicket:
            for entry in [nil, "stored"] as [String?] {
                for taken in machine.token == nil ? [false] : [false, true] {
                    var m = machine
                    var t = trace
                    t.lockTaken = taken
                    let next = m.ticketRead(entry: entry, lockTaken: taken)
                    explore(m, next, t, now: now, visit: visit)
                }
            }
        case .fetch:
            for (failed, released) in [(true, false), (false, false), (false, true)] {
                if released && !trace.lockTaken { continue }
                var m = machine
                var t = trace
                t.releasedByStore = released
                let next = m.fetchFinished(failed: failed, lockReleasedByStore: released)
                explore(m, next, t, now: now, visit: visit)
            }
        case .readLockHolder:
            for own in [false, true] {
                var m = machine
                let next = m.holderRead(ownLeftover: own, now: now)
                explore(m, next, trace, now: now, visit: visit)
            }
        case .watchForWake:
            for active in [false, true] {
                var m = machine
                var t = trace
                t.wakeActive = active
                let next = m.watchStarted(active: active)
                explore(m, next, t, now: now, visit: visit)
            }
        case .readPeerEntry:
            for (entry, failed) in [(nil, false), ("peer", false), (nil, true)] as [(String?, Bool)] {
                var m = machine
                let next = m.peerEntryRead(entry: entry, failed: failed, now: now)
                explore(m, next, trace, now: now, visit: visit)
            }
        case .readWaitingHolder:
            for (held, failed) in [(true, false), (false, false), (false, true)] {
                var m = machine
                let next = m.waitingHolderRead(held: held, failed: failed, now: now)
                explore(m, next, trace, now: now, visit: visit)
            }
        case .schedulePoll(let milliseconds, let timer):
            var m = machine
            guard let next = m.pollDue(timer: timer) else { Issue.record("the current timer ignored"); return }
            explore(m, next, trace, now: now + max(milliseconds, 10), visit: visit)
            if trace.wakes < Self.maxWakes {
                var woken = machine
                var t = trace
                t.wakes += 1
                guard let read = woken.wake() else { Issue.record("a wake left the fill asleep: \(trace.actions)"); return }
                guard case .readPeerEntry(firstOfWait: false) = read else { Issue.record("a wake did not read the entry"); return }
                var stale = woken
                #expect(stale.pollDue(timer: timer) == nil, "the timer a wake outran still read")
                explore(woken, read, t, now: now + 1, visit: visit)
            }
        case .finish:
            visit(trace)
        }
    }

    @Test(arguments: [0, 250] as [Int64]) func everyPathKeepsTheProtocolsInvariants(lockMilliseconds: Int64) {
        var machine = Machine(lockMilliseconds: lockMilliseconds, token: "me.1", pollMilliseconds: Self.poll, fallbackMilliseconds: Self.fallback)
        var paths = 0
        let first = machine.start()
        explore(machine, first, Trace(), now: 0) { trace in
            paths += 1
            let fetches = trace.actions.filter { if case .fetch = $0 { return true }; return false }
            #expect(fetches.count <= 1, "the upstream asked twice: \(trace.actions)")
            guard case .finish(let outcome, let lock, let stopWatching) = trace.actions.last else { Issue.record("unfinished"); return }
            if case .peer = outcome { #expect(fetches.isEmpty) } else { #expect(fetches.count == 1) }
            if lockMilliseconds == 0 {
                #expect(lock == .none)
            } else if trace.lockTaken && !trace.releasedByStore {
                #expect(lock == .release("me.1"), "a taken lock not released: \(trace.actions)")
            } else {
                #expect(lock == .forget("me.1"), "a lock released that was not held: \(trace.actions)")
            }
            // A subscription asked for is given up at the finish, and only then.
            let watches = trace.actions.filter { if case .watchForWake = $0 { return true }; return false }.count
            #expect(watches <= 1)
            #expect(stopWatching == (watches == 1), "subscription not settled: \(trace.actions)")
            // Only the lock's holder fetches holding it.
            for case .fetch(let holding, _) in trace.actions { #expect((holding != nil) == trace.lockTaken) }
        }
        // Every answer at every step: 3 paths unlocked, 9,722 locked (wakes and timers interleaved).
        #expect(paths == (lockMilliseconds == 0 ? 3 : 9_722))
    }
}
