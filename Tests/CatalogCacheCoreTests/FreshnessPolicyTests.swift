import Testing
import CatalogCacheCore

@Suite struct FreshnessPolicyTests {
    private func entry(ttl: Int, swr: Int, sie: Int, storedAt: Int64 = 1_000_000) -> EntryMetadata {
        EntryMetadata(status: 200, contentType: "application/json", etag: "x", storedAt: storedAt, ttl: ttl,
                      staleWhileRevalidate: swr, staleIfError: sie, identityLength: 0)
    }

    @Test(arguments: [
        (0, Freshness.fresh), (59_999, .fresh), (60_000, .stale), (89_999, .stale),
        (90_000, .staleIfErrorOnly), (359_999, .staleIfErrorOnly), (360_000, .expired), (10_000_000, .expired),
        (-5_000, .fresh),
    ] as [(Int64, Freshness)])
    func windowsAreHalfOpen(elapsed: Int64, expected: Freshness) {
        #expect(FreshnessPolicy.evaluate(entry(ttl: 60, swr: 30, sie: 300), now: 1_000_000 + elapsed) == expected)
    }

    @Test(arguments: [
        (60, 30, 10, 60_000, Freshness.stale), (60, 30, 10, 89_999, .stale), (60, 30, 10, 90_000, .expired),
        (60, 0, 0, 59_999, .fresh), (60, 0, 0, 60_000, .expired),
        (60, 0, 5, 60_000, .staleIfErrorOnly), (60, 0, 5, 65_000, .expired),
        (1, 30, 30, 30_999, .stale), (1, 30, 30, 31_000, .expired),
    ] as [(Int, Int, Int, Int64, Freshness)])
    func overlappingWindows(ttl: Int, swr: Int, sie: Int, elapsed: Int64, expected: Freshness) {
        #expect(FreshnessPolicy.evaluate(entry(ttl: ttl, swr: swr, sie: sie), now: 1_000_000 + elapsed) == expected)
    }

    @Test func age() {
        let meta = entry(ttl: 60, swr: 30, sie: 0)
        #expect(FreshnessPolicy.age(meta, now: 1_000_000) == 0)
        #expect(FreshnessPolicy.age(meta, now: 1_000_999) == 0)
        #expect(FreshnessPolicy.age(meta, now: 1_001_000) == 1)
        #expect(FreshnessPolicy.age(meta, now: 1_060_000) == 60)
        #expect(FreshnessPolicy.age(meta, now: 0) == 0)
        #expect(FreshnessPolicy.age(meta, now: .min) == 0)
    }

    @Test func storageTTL() {
        #expect(FreshnessPolicy.storageTTLMilliseconds(entry(ttl: 60, swr: 30, sie: 300)) == 360_000)
        #expect(FreshnessPolicy.storageTTLMilliseconds(entry(ttl: 60, swr: 30, sie: 0)) == 90_000)
        #expect(FreshnessPolicy.storageTTLMilliseconds(entry(ttl: 60, swr: 0, sie: 0)) == 60_000)
        #expect(FreshnessPolicy.storageTTLMilliseconds(entry(ttl: .max, swr: .max, sie: 0)) == .max)
    }

    @Test func extremeValuesSaturate() {
        let ancient = entry(ttl: 60, swr: 30, sie: 0, storedAt: .min)
        #expect(FreshnessPolicy.evaluate(ancient, now: .max) == .expired)
        #expect(FreshnessPolicy.ageMilliseconds(ancient, now: .max) == .max)
        let future = entry(ttl: 60, swr: 30, sie: 0, storedAt: .max)
        #expect(FreshnessPolicy.evaluate(future, now: .min) == .fresh)
        #expect(FreshnessPolicy.evaluate(entry(ttl: .max, swr: .max, sie: .max), now: .max) == .fresh)
    }

    /// Freshness never goes back to a "better" state as time moves forward.
    @Test func monotoneInTime() {
        let rank: [Freshness: Int] = [.fresh: 0, .stale: 1, .staleIfErrorOnly: 2, .expired: 3]
        for (ttl, swr, sie) in [(1, 0, 0), (5, 3, 0), (5, 0, 3), (5, 3, 7), (5, 7, 3)] {
            let meta = entry(ttl: ttl, swr: swr, sie: sie, storedAt: 0)
            var previous = 0
            for now in stride(from: Int64(-2_000), through: 20_000, by: 250) {
                let current = rank[FreshnessPolicy.evaluate(meta, now: now)]!
                #expect(current >= previous)
                previous = current
            }
            #expect(previous == 3)
        }
    }
}

