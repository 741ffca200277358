import CatalogCacheCore
import Testing

@Suite struct CacheStatusTests {
    @Test func aTokenNameIsSentAsIsAnythingElseQuoted() {
        #expect(CacheStatus.member(name: "catalog-cache") == "catalog-cache")
        #expect(CacheStatus.member(name: "edge.example:8080/c") == "edge.example:8080/c")
        #expect(CacheStatus.member(name: "edge cache") == "\"edge cache\"")
        #expect(CacheStatus.member(name: "1st") == "\"1st\"")
        #expect(CacheStatus.member(name: "say \"hi\"\\") == "\"say \\\"hi\\\"\\\\\"")
        #expect(CacheStatus.member(name: "") == nil)
        #expect(CacheStatus.member(name: "tab\there") == nil)
        #expect(CacheStatus.member(name: "café") == nil)
    }

    @Test func parametersFollowTheRFCsOrder() {
        #expect(CacheStatus.hit.fieldValue(member: "c") == "c; hit")
        #expect(CacheStatus(forward: .miss, forwardStatus: 200, stored: true).fieldValue(member: "c") == "c; fwd=miss; fwd-status=200; stored")
        #expect(CacheStatus(forward: .stale, ttl: -5, detail: "stale-if-error").fieldValue(member: "c") == "c; fwd=stale; ttl=-5; detail=stale-if-error")
        #expect(CacheStatus(outcome: .coalesced).fieldValue(member: "c") == "c; fwd=miss; collapsed")
        #expect(CacheStatus(outcome: .bypass, forwardStatus: 404).fieldValue(member: "c") == "c; fwd=bypass; fwd-status=404")
        #expect(CacheStatus(outcome: .shed).fieldValue(member: "c") == "c; detail=overloaded")
    }

    @Test func anUpstreamsValueIsKeptAndOursAppended() {
        #expect(CacheStatus.appending("c; hit", to: nil) == "c; hit")
        #expect(CacheStatus.appending("c; hit", to: " ") == "c; hit")
        #expect(CacheStatus.appending("c; fwd=bypass", to: "OriginCache; hit") == "OriginCache; hit, c; fwd=bypass")
    }
}
