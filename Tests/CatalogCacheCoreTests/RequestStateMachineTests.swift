import Testing

@testable import CatalogCacheCore

@Suite struct RequestStateMachineTests {
    static let rule = try! RouteRule(name: "banners", path: "/store/hero-banners", key: "hero_banners:active", ttl: 300, staleWhileRevalidate: 600, staleIfError: 60)
    static let match = RouteMatch(rule: rule, parameters: [:])
    static let cacheable = RequestClass.cacheable(match, normalizedPath: "/store/hero-banners")

    /// An entry stored at t=0 with ttl 300 s, swr 600 s, stale-if-error 60 s... evaluated at `age` seconds.
    func entry() -> EntryMetadata {
        EntryMetadata(status: 200, contentType: "application/json", etag: "e", storedAt: 0, ttl: 300, staleWhileRevalidate: 600, staleIfError: 1200, encoding: .identity, identityLength: 2, tags: ["hero_banners"], extraHeaders: [])
    }

    @Test func bypassGoesStraightToPassAndEndsAsBypass() {
        var m = RequestStateMachine()
        #expect(m.start(.bypass(.method), key: nil) == .pass(.method))
        #expect(m.outcome == nil)
        m.passFinished()
        #expect(m.outcome == .bypass)
    }

    @Test func unsafePathIsRejected() {
        var m = RequestStateMachine()
        #expect(m.start(.bypass(.unsafePath), key: nil) == .rejectUnsafePath)
        #expect(m.state == .failed)
    }

    @Test func freshEntryIsAHit() {
        var m = RequestStateMachine()
        #expect(m.start(Self.cacheable, key: "k") == .lookup(key: "k"))
        #expect(m.lookupFinished(entry(), now: 299_999) == .serveEntry(.hit, refreshInBackground: false))
        #expect(m.outcome == .hit)
    }

    @Test func entryInsideTheStaleWindowIsServedStaleAndRefreshed() {
        var m = RequestStateMachine()
        _ = m.start(Self.cacheable, key: "k")
        #expect(m.lookupFinished(entry(), now: 300_000) == .serveEntry(.stale, refreshInBackground: true))
        #expect(m.outcome == .stale)
    }

    @Test func absentEntryLeaderFetchesAndEndsAsMiss() {
        var m = RequestStateMachine()
        _ = m.start(Self.cacheable, key: "k")
        #expect(m.lookupFinished(nil, now: 0) == .joinFill(key: "k"))
        #expect(m.joined(as: .leader) == .fetchAndStore(key: "k"))
        #expect(m.fillFinished(shareable: true) == .respondFromFill(.miss))
        #expect(m.outcome == .miss)
    }

    @Test func leaderServedByAnotherFillEndsAsCoalesced() {
        var m = RequestStateMachine()
        _ = m.start(Self.cacheable, key: "k")
        _ = m.lookupFinished(nil, now: 0)
        _ = m.joined(as: .leader)
        #expect(m.fillFinished(shareable: true, servedByAnotherFill: true) == .respondFromFill(.coalesced))
        #expect(m.outcome == .coalesced)
    }

    @Test func followerWaitsAndEndsAsCoalesced() {
        var m = RequestStateMachine()
        _ = m.start(Self.cacheable, key: "k")
        _ = m.lookupFinished(nil, now: 0)
        #expect(m.joined(as: .follower) == .awaitFill(key: "k"))
        #expect(m.fillFinished(shareable: true) == .respondFromFill(.coalesced))
        #expect(m.outcome == .coalesced)
    }

    @Test func followerOfAnUnshareableFillFetchesAlone() {
        var m = RequestStateMachine()
        _ = m.start(Self.cacheable, key: "k")
        _ = m.lookupFinished(nil, now: 0)
        _ = m.joined(as: .follower)
        #expect(m.fillFinished(shareable: false) == .fetchAlone)
        #expect(m.state == .filling(key: "k", role: .leader, staleFallback: false))
        #expect(m.fillFinished(shareable: false) == .respondFromFill(.miss))
    }

    @Test func leaderOfAnUnshareableFillStillAnswersWithIt() {
        var m = RequestStateMachine()
        _ = m.start(Self.cacheable, key: "k")
        _ = m.lookupFinished(nil, now: 0)
        _ = m.joined(as: .leader)
        #expect(m.fillFinished(shareable: false) == .respondFromFill(.miss))
    }

    @Test func overflowFetchesAlone() {
        var m = RequestStateMachine()
        _ = m.start(Self.cacheable, key: "k")
        _ = m.lookupFinished(nil, now: 0)
        #expect(m.overflowed() == .fetchAlone)
    }

    @Test func storeFailureFailsOpenToTheUpstream() {
        var m = RequestStateMachine()
        _ = m.start(Self.cacheable, key: "k")
        #expect(m.lookupFailed() == .joinFill(key: "k"))
        #expect(m.joined(as: .leader) == .fetchAndStore(key: "k"))
    }

    @Test(arguments: [(false, 502), (true, 504)])
    func upstreamFailureWithoutAUsableCopyIsAnError(isTimeout: Bool, status: Int) {
        var m = RequestStateMachine()
        _ = m.start(Self.cacheable, key: "k")
        _ = m.lookupFinished(nil, now: 0)
        _ = m.joined(as: .leader)
        #expect(m.fillFailed(isTimeout: isTimeout) == .failUpstream(status: status))
        #expect(m.outcome == nil)
    }

    @Test func entryPastTheStaleWindowIsRefetchedAndServedStaleIfTheUpstreamFails() {
        var m = RequestStateMachine()
        _ = m.start(Self.cacheable, key: "k")
        // Past ttl + swr (900 s) but inside stale-if-error (1200 s).
        #expect(m.lookupFinished(entry(), now: 1_000_000) == .joinFill(key: "k"))
        _ = m.joined(as: .leader)
        #expect(m.fillFailed(isTimeout: false) == .serveEntry(.stale, refreshInBackground: false))
        #expect(m.outcome == .stale)
    }

    @Test func expiredEntryIsAMissAndNoFallback() {
        var m = RequestStateMachine()
        _ = m.start(Self.cacheable, key: "k")
        #expect(m.lookupFinished(entry(), now: 2_000_000) == .joinFill(key: "k"))
        _ = m.joined(as: .leader)
        #expect(m.fillFailed(isTimeout: true) == .failUpstream(status: 504))
    }

    @Test func originControlledRoutesAreDispatchedToTheSharedCacheAndEndInItsOutcome() throws {
        let rule = try RouteRule(name: "pages", path: "/store/pages/{id}", key: "pages:{id}", ttl: 60, mode: .origin)
        let match = RouteMatch(rule: rule, parameters: ["id": "a"])
        for outcome in [CacheOutcome.hit, .stale, .miss, .coalesced, .bypass] {
            var m = RequestStateMachine()
            #expect(m.start(.originControlled(match, normalizedPath: "/store/pages/a"), key: nil) == .serveOriginControlled(route: "pages"))
            #expect(m.outcome == nil)
            m.originControlledFinished(outcome)
            #expect(m.outcome == outcome)
        }
    }

    @Test(arguments: BypassReason.allCases.filter { $0 != .unsafePath })
    func everyBypassReasonIsCarriedToTheFlow(reason: BypassReason) {
        var m = RequestStateMachine()
        #expect(m.start(.bypass(reason), key: nil) == .pass(reason))
        #expect(m.state == .passing(reason))
    }
}
