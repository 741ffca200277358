import Testing
@testable import CatalogCacheCore

/// The slot map, the redirect replies and the retry rules of the cluster client.
@Suite struct ClusterRoutingRulesTests {
    let a = ServerAddress(host: "10.0.0.1", port: 7000)
    let b = ServerAddress(host: "10.0.0.2", port: 7001)

    @Test func slotMap_answersEachRangeAndRecordsMoves() {
        var map = ClusterSlotMap(ranges: [(0, 8191, a), (8192, 16383, b)])
        #expect(map.primary(forSlot: 0) == a)
        #expect(map.primary(forSlot: 8191) == a)
        #expect(map.primary(forSlot: 8192) == b)
        #expect(map.primary(forSlot: 16384) == nil)
        #expect(map.coveredSlots == 16384)
        #expect(map.primaries == [a, b])
        map.assign(slot: 5, to: b)
        #expect(map.primary(forSlot: 5) == b)
        #expect(map.primary(forSlot: 6) == a)
        #expect(map.primaries == [a, b])
    }

    @Test func slotMap_leavesUncoveredSlotsEmpty() {
        let map = ClusterSlotMap(ranges: [(0, 99, a)])
        #expect(map.coveredSlots == 100)
        #expect(map.primary(forSlot: 100) == nil)
        #expect(ClusterSlotMap().isEmpty)
    }

    @Test func redirect_parsesTheServersReplies() {
        #expect(ClusterRedirect.parse("MOVED 3999 127.0.0.1:6381", replyingHost: "x") == .moved(slot: 3999, to: .init(host: "127.0.0.1", port: 6381)))
        #expect(ClusterRedirect.parse("ASK 3999 127.0.0.1:6381", replyingHost: "x") == .ask(slot: 3999, to: .init(host: "127.0.0.1", port: 6381)))
        #expect(ClusterRedirect.parse("MOVED 1 [::1]:7000", replyingHost: "x") == .moved(slot: 1, to: .init(host: "::1", port: 7000)))
        // A node that does not know its address announces only the port.
        #expect(ClusterRedirect.parse("MOVED 12 :7002", replyingHost: "10.0.0.9") == .moved(slot: 12, to: .init(host: "10.0.0.9", port: 7002)))
        #expect(ClusterRedirect.parse("TRYAGAIN Multiple keys request during rehashing of slot", replyingHost: "x") == .tryAgain)
        #expect(ClusterRedirect.parse("CLUSTERDOWN The cluster is down", replyingHost: "x") == .clusterDown)
        for other in ["ERR unknown command", "MOVED", "MOVED 16384 h:1", "MOVED x h:1", "ASK 1 h:0", "ASK 1 h", "CROSSSLOT Keys in request don't hash to the same slot"] {
            #expect(ClusterRedirect.parse(other, replyingHost: "x") == nil, "\(other)")
        }
    }

    @Test func retry_followsABoundedNumberOfRedirects() {
        var retry = ClusterCommandRetry(maxRedirects: 3)
        #expect(retry.next(after: .redirect(.moved(slot: 7, to: b))) == .send(to: b, asking: false, remember: .init(slot: 7, primary: b), refreshMap: true))
        #expect(retry.next(after: .redirect(.ask(slot: 7, to: a))) == .send(to: a, asking: true, remember: nil, refreshMap: false))
        #expect(retry.next(after: .redirect(.moved(slot: 7, to: b))) == .send(to: b, asking: false, remember: .init(slot: 7, primary: b), refreshMap: true))
        guard case .fail(let reason) = retry.next(after: .redirect(.moved(slot: 7, to: a))) else {
            Issue.record("a fourth redirect was followed")
            return
        }
        #expect(reason.contains("redirects"))
    }

    @Test func retry_backsOffOnTransientErrorsThenFails() {
        var retry = ClusterCommandRetry(maxTransientRetries: 5, baseDelayMilliseconds: 10, maxDelayMilliseconds: 50)
        #expect(retry.next(after: .redirect(.tryAgain)) == .reroute(delayMilliseconds: 10, refreshMap: false))
        #expect(retry.next(after: .redirect(.clusterDown)) == .reroute(delayMilliseconds: 20, refreshMap: true))
        #expect(retry.next(after: .unreachable(a)) == .reroute(delayMilliseconds: 40, refreshMap: true))
        #expect(retry.next(after: .redirect(.tryAgain)) == .reroute(delayMilliseconds: 50, refreshMap: false))
        #expect(retry.next(after: .redirect(.tryAgain)) == .reroute(delayMilliseconds: 50, refreshMap: false))
        guard case .fail(let reason) = retry.next(after: .redirect(.clusterDown)) else {
            Issue.record("a sixth transient error was retried")
            return
        }
        #expect(reason.contains("CLUSTERDOWN"))
        // Redirects and transient errors have separate budgets.
        #expect(retry.redirects == 0)
    }
}
