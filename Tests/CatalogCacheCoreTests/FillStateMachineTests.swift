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
        guard case .finish(.fetched, lock: .none) = m.fetchFinished(failed: false, lockReleasedByStore: false) else { Issue.record("not finished"); return }
        #expect(m.state == .finished)
    }

    @Test func anEntryFoundWithTheTicketIsServedAndATakenLockReleased() {
        var m = Machine(lockMilliseconds: 500, token: "me.1")
        guard case .readTicket(lockToken: "me.1") = m.start() else { Issue.record("lock not asked for"); return }
        guard case .finish(.peer("entry"), lock: .release("me.1")) = m.ticketRead(entry: "entry", lockTaken: true) else { Issue.record("entry not used"); return }
    }

    @Test func anEntryFoundWithoutTheLockForgetsTheToken() {
        var m = Machine(lockMilliseconds: 500, token: "me.1")
        _ = m.start()
        guard case .finish(.peer("entry"), lock: .forget("me.1")) = m.ticketRead(entry: "entry", lockTaken: false) else { Issue.record("token kept"); return }
    }

    @Test func theLockHolderFetchesHoldingItAndTheStoreReleasesIt() {
        var m = Machine(lockMilliseconds: 500, token: "me.1")
        _ = m.start()
        guard case .fetch(holdingLock: "me.1", leftBehind: false) = m.ticketRead(entry: nil, lockTaken: true) else { Issue.record("no locked fetch"); return }
        guard case .finish(.fetched, lock: .forget("me.1")) = m.fetchFinished(failed: false, lockReleasedByStore: true) else { Issue.record("released twice"); return }
    }

    @Test func aFailedFetchReleasesTheLockItHolds() {
        var m = Machine(lockMilliseconds: 500, token: "me.1")
        _ = m.start()
        _ = m.ticketRead(entry: nil, lockTaken: true)
        guard case .finish(.failed, lock: .release("me.1")) = m.fetchFinished(failed: true, lockReleasedByStore: false) else { Issue.record("lock kept"); return }
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
        guard case .readPeerEntry(firstOfWait: true) = m.holderRead(ownLeftover: false, now: 1_000) else { Issue.record("no wait"); return }
        guard case .readWaitingHolder = m.peerEntryRead(entry: nil, now: 1_000) else { Issue.record("holder not checked"); return }
        guard case .schedulePoll(milliseconds: 10) = m.waitingHolderRead(held: true) else { Issue.record("no poll"); return }
        guard case .readPeerEntry(firstOfWait: false) = m.pollDue() else { Issue.record("no read after the poll"); return }
        guard case .finish(.peer("peer"), lock: .forget("me.1")) = m.peerEntryRead(entry: "peer", now: 1_010) else { Issue.record("peer entry not used"); return }
    }

    @Test func aLockReleasedWithoutAnEntryGetsOneLastReadThenAFetch() {
        var m = Machine(lockMilliseconds: 500, token: "me.1")
        _ = m.start()
        _ = m.ticketRead(entry: nil, lockTaken: false)
        _ = m.holderRead(ownLeftover: false, now: 0)
        _ = m.peerEntryRead(entry: nil, now: 0)
        guard case .readPeerEntry(firstOfWait: false) = m.waitingHolderRead(held: false) else { Issue.record("no last read"); return }
        guard case .fetch(holdingLock: nil, leftBehind: false) = m.peerEntryRead(entry: nil, now: 1) else { Issue.record("no fetch after the lock went"); return }
    }

    @Test func theWaitEndsAtTheLocksLifetime() {
        var m = Machine(lockMilliseconds: 500, token: "me.1")
        _ = m.start()
        _ = m.ticketRead(entry: nil, lockTaken: false)
        _ = m.holderRead(ownLeftover: false, now: 1_000)
        _ = m.peerEntryRead(entry: nil, now: 1_499)
        _ = m.waitingHolderRead(held: true)
        _ = m.pollDue()
        guard case .fetch(holdingLock: nil, leftBehind: false) = m.peerEntryRead(entry: nil, now: 1_500) else { Issue.record("waited past the lock's lifetime"); return }
    }

    @Test func aStoreErrorWhileWaitingEndsTheWait() {
        var m = Machine(lockMilliseconds: 500, token: "me.1")
        _ = m.start()
        _ = m.ticketRead(entry: nil, lockTaken: false)
        _ = m.holderRead(ownLeftover: false, now: 0)
        guard case .fetch = m.peerEntryRead(entry: nil, failed: true, now: 0) else { Issue.record("stalled on a read error"); return }
        var n = Machine(lockMilliseconds: 500, token: "me.1")
        _ = n.start()
        _ = n.ticketRead(entry: nil, lockTaken: false)
        _ = n.holderRead(ownLeftover: false, now: 0)
        _ = n.peerEntryRead(entry: nil, now: 0)
        guard case .fetch = n.waitingHolderRead(held: true, failed: true) else { Issue.record("stalled on a holder error"); return }
    }

    // MARK: Every path

    /// One run of the mock executor: the actions it was given, in order.
    struct Trace {
        var actions: [Machine.Action] = []
        var lockTaken = false
        var releasedByStore = false
    }

    /// Every answer at every step: entry or not, lock taken or not, leftover or not, entry
    /// or none while waiting, read errors, the lock held or gone, fetch failed or stored with
    /// the lock's release; the clock moves 100 ms a poll (lock 250 ms, so waits end by time too).
    func explore(_ machine: Machine, _ action: Machine.Action, _ trace: Trace, now: Int64, visit: (Trace) -> Void) {
        var trace = trace
        trace.actions.append(action)
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
        case .readPeerEntry:
            for (entry, failed) in [(nil, false), ("peer", false), (nil, true)] as [(String?, Bool)] {
                var m = machine
                let next = m.peerEntryRead(entry: entry, failed: failed, now: now)
                explore(m, next, trace, now: now, visit: visit)
            }
        case .readWaitingHolder:
            for (held, failed) in [(true, false), (false, false), (false, true)] {
                var m = machine
                let next = m.waitingHolderRead(held: held, failed: failed)
                explore(m, next, trace, now: now, visit: visit)
            }
        case .schedulePoll(let milliseconds):
            var m = machine
            let next = m.pollDue()
            explore(m, next, trace, now: now + max(milliseconds, 100), visit: visit)
        case .finish:
            visit(trace)
        }
    }

    @Test(arguments: [0, 250] as [Int64]) func everyPathKeepsTheProtocolsInvariants(lockMilliseconds: Int64) {
        var machine = Machine(lockMilliseconds: lockMilliseconds, token: "me.1", pollMilliseconds: 100)
        var paths = 0
        let first = machine.start()
        explore(machine, first, Trace(), now: 0) { trace in
            paths += 1
            let fetches = trace.actions.filter { if case .fetch = $0 { return true }; return false }
            #expect(fetches.count <= 1, "the upstream asked twice: \(trace.actions)")
            guard case .finish(let outcome, let lock) = trace.actions.last else { Issue.record("unfinished"); return }
            if case .peer = outcome { #expect(fetches.isEmpty) } else { #expect(fetches.count == 1) }
            if lockMilliseconds == 0 {
                #expect(lock == .none)
            } else if trace.lockTaken && !trace.releasedByStore {
                #expect(lock == .release("me.1"), "a taken lock not released: \(trace.actions)")
            } else {
                #expect(lock == .forget("me.1"), "a lock released that was not held: \(trace.actions)")
            }
            // Only the lock's holder fetches holding it; a wait never outlives the lock.
            for case .fetch(let holding, _) in trace.actions { #expect((holding != nil) == trace.lockTaken) }
            let polls = trace.actions.filter { if case .schedulePoll = $0 { return true }; return false }.count
            #expect((polls - 1) * 100 < Int(lockMilliseconds), "waited \(polls) polls past a \(lockMilliseconds) ms lock")
        }
        // Every answer at every step: 3 paths unlocked, 42 locked (3 polls before the lock expires).
        #expect(paths == (lockMilliseconds == 0 ? 3 : 42))
    }
}
