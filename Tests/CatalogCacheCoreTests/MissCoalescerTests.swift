import CatalogTestSupport
import Testing
import CatalogCacheCore

@Suite struct MissCoalescerTests {
    @Test func leaderThenFollowersThenComplete() {
        var coalescer = MissCoalescer<Int>()
        #expect(coalescer.join(key: "a", waiter: 1, maxWaiters: 2) == .leader)
        #expect(coalescer.join(key: "a", waiter: 2, maxWaiters: 2) == .follower)
        #expect(coalescer.join(key: "b", waiter: 3, maxWaiters: 2) == .leader)
        #expect(coalescer.join(key: "a", waiter: 4, maxWaiters: 2) == .follower)
        #expect(coalescer.join(key: "a", waiter: 5, maxWaiters: 2) == .overflow)
        #expect(coalescer.inFlightCount == 2)
        #expect(coalescer.waiterCount(for: "a") == 2)
        #expect(coalescer.complete(key: "a") == [2, 4])
        #expect(coalescer.inFlightCount == 1)
        #expect(!coalescer.isInFlight("a"))
        #expect(coalescer.complete(key: "a") == [])
        // After completion the next request leads again.
        #expect(coalescer.join(key: "a", waiter: 6, maxWaiters: 2) == .leader)
        #expect(coalescer.complete(key: "b") == [])
        #expect(coalescer.complete(key: "a") == [])
        #expect(coalescer.inFlightCount == 0)
    }

    @Test func zeroWaitersMeansEveryoneButTheLeaderOverflows() {
        var coalescer = MissCoalescer<String>()
        #expect(coalescer.join(key: "k", waiter: "x", maxWaiters: 0) == .leader)
        #expect(coalescer.join(key: "k", waiter: "y", maxWaiters: 0) == .overflow)
        #expect(coalescer.complete(key: "k").isEmpty)
    }

    @Test func completeUnknownKey() {
        var coalescer = MissCoalescer<Int>()
        #expect(coalescer.complete(key: "nope") == [])
        #expect(coalescer.inFlightCount == 0)
    }

    /// Against a simple model: every joined follower is returned exactly once, in order.
    @Test func randomSequencesMatchAModel() {
        var coalescer = MissCoalescer<Int>()
        var model: [String: [Int]] = [:]
        var generator = SeededGenerator(seed: 8)
        var woken = 0
        var followers = 0
        for waiter in 0..<10_000 {
            let key = "k\(Int.random(in: 0..<8, using: &generator))"
            if Bool.random(using: &generator) {
                let result = coalescer.join(key: key, waiter: waiter, maxWaiters: 3)
                if let waiting = model[key] {
                    if waiting.count < 3 {
                        #expect(result == .follower)
                        model[key]!.append(waiter)
                        followers += 1
                    } else {
                        #expect(result == .overflow)
                    }
                } else {
                    #expect(result == .leader)
                    model[key] = []
                }
            } else {
                let expected = model.removeValue(forKey: key) ?? []
                let actual = coalescer.complete(key: key)
                #expect(actual == expected)
                woken += actual.count
            }
            #expect(coalescer.inFlightCount == model.count)
        }
        for key in model.keys { woken += coalescer.complete(key: key).count }
        #expect(woken == followers)
    }
}
