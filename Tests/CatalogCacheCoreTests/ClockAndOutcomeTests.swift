import Testing
import CatalogCacheCore

@Suite struct ManualClockTests {
    @Test func movesOnlyWhenTold() {
        let clock = ManualClock(milliseconds: 1_000)
        #expect(clock.nowMilliseconds() == 1_000)
        clock.advance(byMilliseconds: 250)
        #expect(clock.nowMilliseconds() == 1_250)
        clock.advance(bySeconds: 2)
        #expect(clock.nowMilliseconds() == 3_250)
        clock.advance(byMilliseconds: -3_000)
        #expect(clock.nowMilliseconds() == 250)
        clock.set(milliseconds: 42)
        #expect(clock.nowMilliseconds() == 42)
        let asProtocol: any CacheClock = clock
        #expect(asProtocol.nowMilliseconds() == 42)
    }

    @Test func concurrentAdvancesAreNotLost() async {
        let clock = ManualClock()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask { for _ in 0..<1_000 { clock.advance(byMilliseconds: 1) } }
            }
        }
        #expect(clock.nowMilliseconds() == 8_000)
    }
}

@Suite struct CacheOutcomeTests {
    @Test(arguments: [
        (CacheOutcome.hit, "HIT", "hit"), (.stale, "STALE", "stale"), (.miss, "MISS", "miss"),
        (.coalesced, "MISS", "coalesced"), (.bypass, "BYPASS", "bypass"),
        (.shed, "BYPASS", "shed"),
    ])
    func headerValues(outcome: CacheOutcome, header: String, raw: String) {
        #expect(outcome.xCacheValue == header)
        #expect(outcome.rawValue == raw)
    }

    @Test func casesAreStable() {
        #expect(CacheOutcome.allCases.count == 6)
        #expect(BypassReason.allCases.map(\.rawValue)
                == ["method", "notCacheableRoute", "authorization", "cookie", "noStoreRequest", "unsafePath"])
        #expect(RowOperation.allCases.map(\.rawValue) == ["INSERT", "UPDATE", "DELETE", "TRUNCATE"])
    }
}
