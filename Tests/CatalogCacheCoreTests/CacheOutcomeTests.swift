import Testing
import CatalogCacheCore

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
