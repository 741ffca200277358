import CatalogCacheCore
import CatalogTestSupport
import Testing

@Suite struct PurgeSchedulerTests {
    private func sends(_ actions: [PurgeScheduler.Action]) -> [PurgeBatch] {
        actions.compactMap { if case .send(let batch) = $0 { return batch } else { return nil } }
    }

    private func timers(_ actions: [PurgeScheduler.Action]) -> [Int64] {
        actions.compactMap { if case .armTimer(let at) = $0 { return at } else { return nil } }
    }

    @Test func tagsOfOneWindowGoOutDeduplicatedInOneRequestWhenTheWindowEnds() {
        var scheduler = PurgeScheduler(policy: PurgePolicy(windowMilliseconds: 10), fallbackTags: ["products"])
        #expect(scheduler.enqueue(["products", "product:1"], now: 100) == [.armTimer(atMilliseconds: 110)])
        #expect(scheduler.enqueue(["product:1", "product:2"], now: 105) == [])
        #expect(sends(scheduler.timerFired(now: 109)).isEmpty)
        let actions = scheduler.timerFired(now: 110)
        #expect(sends(actions) == [PurgeBatch(number: 1, tags: ["products", "product:1", "product:2"], attempt: 1, enqueuedAt: 100)])
        #expect(scheduler.pendingCount == 0)
    }

    @Test func aZeroWindowSendsAtOnce() {
        var scheduler = PurgeScheduler(policy: PurgePolicy(windowMilliseconds: 0), fallbackTags: [])
        #expect(sends(scheduler.enqueue(["a"], now: 5)).map(\.tags) == [["a"]])
    }

    @Test func oneRequestAtATimeAndTagsArrivingMeanwhileGoNextEvenWhenAlreadySent() {
        var scheduler = PurgeScheduler(policy: PurgePolicy(windowMilliseconds: 0), fallbackTags: [])
        let first = sends(scheduler.enqueue(["a", "b"], now: 0))
        #expect(first.count == 1)
        // "a" again: the edge may have handled the first purge before this drop, so it goes again.
        #expect(scheduler.enqueue(["a", "c"], now: 1) == [])
        #expect(scheduler.enqueue(["c"], now: 2) == [])
        let actions = scheduler.completed(first[0].number, .acknowledged, now: 3)
        #expect(actions.first == .purged(first[0], latencyMilliseconds: 3))
        #expect(sends(actions) == [PurgeBatch(number: 2, tags: ["a", "c"], attempt: 1, enqueuedAt: 1)])
        #expect(scheduler.completed(2, .acknowledged, now: 4) == [.purged(PurgeBatch(number: 2, tags: ["a", "c"], attempt: 1, enqueuedAt: 1), latencyMilliseconds: 3)])
        #expect(scheduler.isIdle)
    }

    @Test func aCompletionBeforeTheNextWindowEndsArmsTheTimerInsteadOfSending() {
        var scheduler = PurgeScheduler(policy: PurgePolicy(windowMilliseconds: 10), fallbackTags: [])
        _ = scheduler.enqueue(["a"], now: 0)
        let first = sends(scheduler.timerFired(now: 10))[0]
        _ = scheduler.enqueue(["b"], now: 12)
        let actions = scheduler.completed(first.number, .acknowledged, now: 15)
        #expect(sends(actions).isEmpty)
        #expect(timers(actions) == [22])
        #expect(sends(scheduler.timerFired(now: 22)).map(\.tags) == [["b"]])
    }

    @Test func batchesAreSplitAtTheProvidersLimitAndFollowOneAnother() {
        var scheduler = PurgeScheduler(policy: PurgePolicy(windowMilliseconds: 0, maxTagsPerRequest: 2), fallbackTags: [])
        let first = sends(scheduler.enqueue(["a", "b", "c", "d", "e"], now: 0))
        #expect(first.map(\.tags) == [["a", "b"]])
        let second = sends(scheduler.completed(first[0].number, .acknowledged, now: 1))
        #expect(second.map(\.tags) == [["c", "d"]])
        let third = sends(scheduler.completed(second[0].number, .acknowledged, now: 2))
        #expect(third.map(\.tags) == [["e"]])
        #expect(sends(scheduler.completed(third[0].number, .acknowledged, now: 3)).isEmpty)
        #expect(scheduler.isIdle)
    }

    @Test func failuresAreRetriedWithDoublingCappedBackoffThenAbandoned() {
        let policy = PurgePolicy(windowMilliseconds: 0, maxAttempts: 4, initialBackoffMilliseconds: 100, maxBackoffMilliseconds: 250)
        #expect((1...4).map { policy.backoff(afterAttempt: $0) } == [100, 200, 250, 250])
        var scheduler = PurgeScheduler(policy: policy, fallbackTags: [])
        var batch = sends(scheduler.enqueue(["a"], now: 0))[0]
        var now: Int64 = 0
        for expectedWait: Int64 in [100, 200, 250] {
            now += 1
            let actions = scheduler.completed(batch.number, .failed, now: now)
            #expect(actions == [.armTimer(atMilliseconds: now + expectedWait)])
            #expect(sends(scheduler.timerFired(now: now + expectedWait - 1)).isEmpty)
            now += expectedWait
            let retry = sends(scheduler.timerFired(now: now))
            #expect(retry.count == 1)
            #expect(retry.first?.tags == ["a"])
            #expect(retry.first?.attempt == batch.attempt + 1)
            batch = retry[0]
        }
        // Tags enqueued while the batch is being retried wait behind it.
        #expect(scheduler.enqueue(["b"], now: now) == [])
        let actions = scheduler.completed(batch.number, .failed, now: now + 1)
        #expect(actions.first == .abandoned(batch))
        #expect(sends(actions).map(\.tags) == [["b"]])
    }

    @Test func aRefusalIsNotRetried() {
        var scheduler = PurgeScheduler(policy: PurgePolicy(windowMilliseconds: 0), fallbackTags: [])
        let batch = sends(scheduler.enqueue(["a"], now: 0))[0]
        #expect(scheduler.completed(batch.number, .refused, now: 1) == [.abandoned(batch)])
        #expect(scheduler.isIdle)
    }

    @Test func staleAndDuplicateCompletionsAreIgnored() {
        var scheduler = PurgeScheduler(policy: PurgePolicy(windowMilliseconds: 0), fallbackTags: [])
        let batch = sends(scheduler.enqueue(["a"], now: 0))[0]
        #expect(scheduler.completed(batch.number + 7, .acknowledged, now: 1) == [])
        #expect(scheduler.completed(batch.number, .failed, now: 1).count == 1)
        // While waiting for its retry, a late answer to the failed send changes nothing.
        #expect(scheduler.completed(batch.number, .acknowledged, now: 2) == [])
        #expect(!scheduler.isIdle)
    }

    @Test func overflowReplacesTheWaitingTagsByTheFallbackTagsAndStaysBounded() {
        var scheduler = PurgeScheduler(policy: PurgePolicy(windowMilliseconds: 10, maxPendingTags: 3), fallbackTags: ["products", "hero_banners"])
        _ = scheduler.enqueue(["product:1", "product:2"], now: 0)
        let actions = scheduler.enqueue(["product:3", "product:4", "product:5"], now: 1)
        #expect(actions.contains(.fellBack(discarded: 5)))
        #expect(scheduler.pendingCount == 2)
        // Covered by the fallback while it waits: nothing more is queued.
        #expect(scheduler.enqueue(["product:6"], now: 2) == [])
        #expect(scheduler.pendingCount == 2)
        #expect(sends(scheduler.timerFired(now: 10)).map(\.tags) == [["products", "hero_banners"]])
    }

    @Test func aTagThatCannotBeWrittenInAHeaderFallsBack() {
        #expect(!PurgeScheduler.isSendable("product:a b"))
        #expect(!PurgeScheduler.isSendable("x\r\nInjected: 1"))
        #expect(!PurgeScheduler.isSendable("a,b"))
        #expect(!PurgeScheduler.isSendable(""))
        #expect(PurgeScheduler.isSendable("product:prod_01H"))
        var scheduler = PurgeScheduler(policy: PurgePolicy(windowMilliseconds: 0), fallbackTags: ["products", "bad tag"])
        #expect(scheduler.fallbackTags == ["products"])
        let actions = scheduler.enqueue(["product:a b"], now: 0)
        #expect(actions.first == .fellBack(discarded: 1))
        #expect(sends(actions).map(\.tags) == [["products"]])
    }

    @Test func aTagEnqueuedAfterPartOfTheFallbackWasSentIsQueuedAgain() {
        var scheduler = PurgeScheduler(policy: PurgePolicy(windowMilliseconds: 0, maxTagsPerRequest: 1, maxPendingTags: 2), fallbackTags: ["f1", "f2"])
        _ = scheduler.enqueue(["x"], now: 0)  // in flight
        _ = scheduler.enqueue(["y", "z", "v"], now: 0)  // v overflows: f1 f2 wait instead
        let next = sends(scheduler.completed(1, .acknowledged, now: 1))
        #expect(next.map(\.tags) == [["f1"]])
        // f1 is on its way, so the fallback no longer covers w: it waits behind f2.
        #expect(scheduler.enqueue(["w"], now: 2) == [])
        #expect(sends(scheduler.completed(next[0].number, .acknowledged, now: 3)).map(\.tags) == [["f2"]])
        #expect(sends(scheduler.completed(next[0].number + 1, .acknowledged, now: 4)).map(\.tags) == [["w"]])
    }

    /// Random interleavings of enqueues, timer fires and answers against a model: every
    /// enqueued tag is sent, in a request that starts after it was enqueued, unless a
    /// fallback covered it; at most one request is in flight; the queue stays bounded.
    @Test(arguments: [UInt64(1), 2, 3, 4, 5, 6, 7, 8])
    func randomInterleavingsKeepTheInvariants(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        let policy = PurgePolicy(windowMilliseconds: Int64.random(in: 0...20, using: &random), maxTagsPerRequest: Int.random(in: 1...5, using: &random), maxPendingTags: Int.random(in: 3...12, using: &random), maxAttempts: 3, initialBackoffMilliseconds: 5, maxBackoffMilliseconds: 40)
        var scheduler = PurgeScheduler(policy: policy, fallbackTags: ["all-1", "all-2"])
        var now: Int64 = 0
        var inFlight: PurgeBatch?
        var timersAt: [Int64] = []
        /// Tag to the time it was last enqueued and not yet covered by a send started later.
        var owed: [String: Int64] = [:]
        /// The fallback tags wait and none was sent yet: incoming tags are covered by them.
        var fallbackCovers = false
        func handle(_ actions: [PurgeScheduler.Action]) {
            for action in actions {
                switch action {
                case .armTimer(let at): timersAt.append(at)
                case .send(let batch):
                    #expect(inFlight == nil, "a second request while one is in flight")
                    #expect(batch.tags.count <= policy.maxTagsPerRequest)
                    inFlight = batch
                    // A new batch takes waiting tags (a retry takes none).
                    if batch.attempt == 1 { fallbackCovers = false }
                    for tag in batch.tags where (owed[tag] ?? .max) <= now { owed[tag] = nil }
                case .fellBack:
                    // The waiting tags were replaced: the fallback tags are owed instead, and
                    // cover what comes until one of them is sent.
                    owed = ["all-1": now, "all-2": now]
                    fallbackCovers = true
                case .abandoned(let batch):
                    // Given up: its tags are no longer owed by this model.
                    for tag in batch.tags { owed[tag] = nil }
                case .purged: break
                }
            }
            #expect(scheduler.pendingCount <= max(policy.maxPendingTags, 2))
        }
        for _ in 0..<400 {
            now += Int64.random(in: 0...6, using: &random)
            switch Int.random(in: 0...2, using: &random) {
            case 0:
                let tags = (0..<Int.random(in: 1...4, using: &random)).map { _ in "t\(Int.random(in: 0...15, using: &random))" }
                if !fallbackCovers { for tag in tags { owed[tag] = now } }
                handle(scheduler.enqueue(tags, now: now))
            case 1:
                if let due = timersAt.min(), due <= now {
                    timersAt.removeAll { $0 == due }
                    handle(scheduler.timerFired(now: now))
                }
            default:
                if let batch = inFlight {
                    inFlight = nil
                    let outcome: PurgeScheduler.Outcome = Bool.random(using: &random) ? .acknowledged : .failed
                    handle(scheduler.completed(batch.number, outcome, now: now))
                }
            }
        }
        // Drain: answer everything successfully and let every timer fire.
        for _ in 0..<10_000 {
            if let batch = inFlight {
                inFlight = nil
                handle(scheduler.completed(batch.number, .acknowledged, now: now))
            } else if let due = timersAt.min() {
                timersAt.removeAll { $0 == due }
                now = max(now, due)
                handle(scheduler.timerFired(now: now))
            } else {
                break
            }
        }
        #expect(scheduler.isIdle)
        #expect(owed.isEmpty, "tags enqueued and never sent after: \(owed)")
    }
}
