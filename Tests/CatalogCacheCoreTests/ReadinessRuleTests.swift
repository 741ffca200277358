import CatalogCacheCore
import Testing

@Suite struct ReadinessRuleTests {
    func rule(draining: Bool = false, storeUp: Bool = true, feedListening: Bool? = true, downFor: Int64? = nil, limit: Int? = nil) -> ReadinessRule {
        ReadinessRule(draining: draining, storeUp: storeUp, feedListening: feedListening, feedDownMilliseconds: downFor, feedDownMaxAgeSeconds: limit)
    }

    @Test func readyWhenTheStoreAnswersAndTheFeedListensOrIsAbsent() {
        #expect(rule().isReady)
        #expect(rule(feedListening: nil).isReady)
    }

    @Test func drainingOrADeadStoreIsUnready() {
        #expect(rule(draining: true).unreadyReasons == ["draining"])
        #expect(rule(draining: true, storeUp: false).unreadyReasons == ["draining", "store_down"])
    }

    @Test func aFeedDownIsUnreadyOnlyPastItsConfiguredBound() {
        #expect(rule(feedListening: false, downFor: 3_600_000, limit: nil).isReady, "no bound: TTLs bound staleness")
        #expect(rule(feedListening: false, downFor: 30_000, limit: 30).isReady)
        #expect(rule(feedListening: false, downFor: 30_001, limit: 30).unreadyReasons == ["feed_down_beyond_policy"])
        #expect(rule(feedListening: false, downFor: 1, limit: 0).unreadyReasons == ["feed_down_beyond_policy"])
    }
}
