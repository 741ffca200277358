import CatalogCacheCore
import NIOCore
import NIOHTTP1

extension CacheEngine {
    /// Whether `answer` would serve `routed` at once from a fresh hot-tier entry (by the same
    /// `freshHotEntry` its hot-tier step uses).
    func servesFromHotTier(_ routed: RoutedRequest) -> Bool {
        freshHotEntry(routed, now: clock.nowMilliseconds()) != nil
    }

    /// The answer to a request shed by `LoadShedder`: `503`, `Retry-After: 1`, the JSON error
    /// body, `Cache-Status: <name>; detail=overloaded` and `X-Cache` of the `.shed` outcome.
    /// Nothing was looked up or forwarded, so a client may retry it (even a write: see
    /// `LoadShedder.Request.write`, which is never shed).
    func shedResponse(version: HTTPVersion) -> ProxyResponse {
        var response = ProxyResponse.error(
            .serviceUnavailable, code: "overloaded",
            message: "the proxy has too many requests in progress; nothing was forwarded, retry after the Retry-After delay",
            outcome: .shed, version: version
        )
        response.head.headers.add(name: "Retry-After", value: "1")
        response.head.headers.add(name: "X-Cache", value: CacheOutcome.shed.xCacheValue)
        response.head.headers.add(name: "Cache-Status", value: CacheStatus(outcome: .shed).fieldValue(member: forwarder.cacheStatusMember))
        return response
    }
}

extension RequestRouter {
    /// Admits `request` through this loop's `admission` (nil: admitted; report
    /// `admission.finished()` once its response is handed over), or answers it shed: the
    /// `shedResponse`, counted under the `.shed` outcome. Only while reads are shed is a read
    /// routed here to find out whether it is a fresh hot-tier hit (never shed).
    func admitOrShed(_ request: ProxyRequest) -> ProxyResponse? {
        var kind = Forwarder.isWrite(request.head.method) ? LoadShedder.Request.write : .read
        var routed: RoutedRequest?
        if kind == .read, admission.shedsReads {
            let found = route(request)
            routed = found
            if engine.servesFromHotTier(found) { kind = .hotTierHit }
        }
        let episodes = admission.sheddingEpisodes
        let decision = admission.decide(kind)
        if admission.sheddingEpisodes != episodes { engine.metrics.overloadEpisodes.increment() }
        guard decision == .shed else { return nil }
        let response = engine.shedResponse(version: request.head.version)
        engine.metrics.recordRequest(routeIndex: routed?.route?.index, outcome: .shed, status: response.head.status.code, startedNanoseconds: MonotonicClock.nanoseconds(), key: routed?.key ?? "")
        return response
    }
}
