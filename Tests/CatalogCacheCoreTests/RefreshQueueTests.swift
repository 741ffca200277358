import CatalogCacheCore
import Testing

@Suite struct RefreshQueueTests {
    private func started(_ submission: RefreshQueue<Int>.Submission) -> Bool {
        if case .start = submission { return true }
        return false
    }

    @Test func refreshesBeyondTheLimitWaitAndStartInArrivalOrderAsSlotsFree() {
        var queue = RefreshQueue<Int>(limit: 2, maxWaiting: 10)
        #expect(started(queue.submit(key: "a", job: 1)))
        #expect(started(queue.submit(key: "b", job: 2)))
        for (key, job) in [("c", 3), ("d", 4)] {
            guard case .queued = queue.submit(key: key, job: job) else { Issue.record("\(key) not queued"); return }
        }
        #expect(queue.running == 2)
        #expect(queue.waitingCount == 2)
        #expect(queue.finish()?.job == 3)
        #expect(queue.running == 2)  // the slot passed on, not freed
        #expect(queue.finish()?.job == 4)
        #expect(queue.finish() == nil)
        #expect(queue.finish() == nil)
        #expect(queue.running == 0)
        #expect(started(queue.submit(key: "e", job: 5)))
    }

    @Test func aKeyWaitsOnceAndMayWaitAgainOnceHandedOut() {
        var queue = RefreshQueue<Int>(limit: 1, maxWaiting: 10)
        _ = queue.submit(key: "a", job: 1)
        guard case .queued = queue.submit(key: "b", job: 2) else { Issue.record("not queued"); return }
        guard case .alreadyWaiting = queue.submit(key: "b", job: 3) else { Issue.record("queued twice"); return }
        #expect(queue.waitingCount == 1)
        #expect(queue.finish()?.job == 2)
        guard case .queued = queue.submit(key: "b", job: 4) else { Issue.record("b not queued again"); return }
        #expect(queue.finish()?.job == 4)
    }

    @Test func beyondMaxWaitingRefreshesAreDroppedAndZeroWaitsNone() {
        var queue = RefreshQueue<Int>(limit: 1, maxWaiting: 2)
        _ = queue.submit(key: "a", job: 1)
        _ = queue.submit(key: "b", job: 2)
        _ = queue.submit(key: "c", job: 3)
        guard case .full = queue.submit(key: "d", job: 4) else { Issue.record("not full"); return }
        #expect(queue.waitingCount == 2)

        var none = RefreshQueue<Int>(limit: 1, maxWaiting: 0)
        _ = none.submit(key: "a", job: 1)
        guard case .full = none.submit(key: "b", job: 2) else { Issue.record("waited with maxWaiting 0"); return }
        #expect(none.finish() == nil)
    }

    @Test func removeAllWaitingLeavesTheRunningOnes() {
        var queue = RefreshQueue<Int>(limit: 1, maxWaiting: 5)
        _ = queue.submit(key: "a", job: 1)
        _ = queue.submit(key: "b", job: 2)
        queue.removeAllWaiting()
        #expect(queue.waitingCount == 0)
        #expect(queue.running == 1)
        #expect(queue.finish() == nil)
        guard case .start = queue.submit(key: "b", job: 3) else { Issue.record("b not startable"); return }
    }

    /// Against a plain model (a counter and an array) over random submissions and finishes:
    /// the same answers, the same order, never more than `limit` running or `maxWaiting` waiting.
    @Test func matchesASimpleModelUnderRandomUse() {
        var generator = SystemRandomNumberGenerator()
        for limit in 1...3 {
            for maxWaiting in [0, 1, 4, 100] {
                var queue = RefreshQueue<Int>(limit: limit, maxWaiting: maxWaiting)
                var running = 0
                var waiting: [(String, Int)] = []
                for step in 0..<3_000 {
                    if Bool.random(using: &generator) || running == 0 {
                        let key = "k\(Int.random(in: 0..<12, using: &generator))"
                        let submission = queue.submit(key: key, job: step)
                        if running < limit {
                            #expect(started(submission))
                            running += 1
                        } else if waiting.contains(where: { $0.0 == key }) {
                            guard case .alreadyWaiting = submission else { Issue.record("expected alreadyWaiting"); return }
                        } else if waiting.count < maxWaiting {
                            guard case .queued = submission else { Issue.record("expected queued"); return }
                            waiting.append((key, step))
                        } else {
                            guard case .full = submission else { Issue.record("expected full"); return }
                        }
                    } else {
                        let next = queue.finish()
                        if waiting.isEmpty {
                            #expect(next == nil)
                            running -= 1
                        } else {
                            let expected = waiting.removeFirst()
                            #expect(next?.key == expected.0)
                            #expect(next?.job == expected.1)
                        }
                    }
                    #expect(queue.running == running)
                    #expect(queue.waitingCount == waiting.count)
                    #expect(queue.running <= limit && queue.waitingCount <= maxWaiting)
                }
            }
        }
    }
}
