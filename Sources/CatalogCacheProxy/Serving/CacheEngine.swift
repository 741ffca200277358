import CatalogCacheCore
import CatalogCompression
import CatalogHTTP
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// The cache-first serve path, shared by every connection of a proxy instance: the routes and
/// the parts each concern lives in, and the dispatch of one request.
///
/// Concerns, one a type: reading entries (`EntryLookup`), fills and refreshes (`FillService`,
/// `FillRunner`, `EntryFetcher`), representations (`EntryRepresentation`, `EntryInflater`),
/// forwarding (`Forwarder`). Invariants: a request is written upstream at most once; nothing
/// is stored unless the route's storability rules allow it and the fill ticket is still
/// current; every request is counted once in `metrics` under its outcome.
public final class CacheEngine: Sendable {
    let configuration: ProxyConfiguration
    let routes: [CompiledRoute]
    /// Route name to compiled route (names are unique: the loader checks).
    let routesByName: [String: CompiledRoute]
    let routeTable: RouteTable
    let classifier: RequestClassifier
    let keys: CacheKeyBuilder
    public let store: any CacheStore
    let upstream: UpstreamPool
    public let fills: FillCoordinator
    public let metrics: ProxyMetrics
    let clock: any CacheClock
    let representation: EntryRepresentation
    /// Responses of origin-controlled (RFC 9111) routes.
    let sharedRepresentation: SharedCacheRepresentation
    public let gate: InvalidationGate
    /// The in-process tier in front of the store; nil when off.
    public let hotTier: HotTier?
    let lookup: EntryLookup
    let inflater: EntryInflater
    let forwarder: Forwarder
    let filling: FillService
    /// The upstream's health as this instance's requests observe it (`/readyz`).
    public var upstreamHealth: UpstreamHealth { forwarder.health }
    /// This instance's name in its fill-lock tokens (`<owner>.<random>`), random per process.
    public var fillLockOwner: String { filling.tokens.owner }

    public init(configuration: ProxyConfiguration, store: any CacheStore, upstream: UpstreamPool, metrics: ProxyMetrics, clock: any CacheClock, fills: FillCoordinator = FillCoordinator(), gate: InvalidationGate? = nil, writeBarrier: WriteBarrier? = nil, hotTier: HotTier? = nil, feedStatus: InvalidationFeedStatus? = nil, logger: Logger = Logger(label: "catalog-cache"), continuing previous: CacheEngine? = nil) {
        self.configuration = configuration
        guard let metricRows = metrics.routeRows(for: configuration.routes.map(\.name)) else {
            preconditionFailure("more routes than metric rows: ProxyService.reload checks this first")
        }
        self.routes = configuration.routes.enumerated().map { CompiledRoute(index: metricRows[$0], rule: $1, tagging: configuration.entryTagging[$1.name], cacheStatusName: configuration.cacheStatusName) }
        self.routesByName = Dictionary(routes.map { ($0.rule.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.routeTable = RouteTable(configuration.routes)
        self.classifier = RequestClassifier(routes: routeTable)
        self.keys = CacheKeyBuilder(prefix: configuration.keyPrefix)
        self.store = store
        self.upstream = upstream
        self.fills = fills
        self.metrics = metrics
        self.clock = clock
        self.representation = EntryRepresentation(metrics: metrics)
        let cacheStatusMember = CacheStatus.member(name: configuration.cacheStatusName) ?? "catalog-cache"
        self.sharedRepresentation = SharedCacheRepresentation(metrics: metrics, cacheStatusMember: cacheStatusMember)
        self.gate = gate ?? InvalidationGate(flights: fills)
        self.hotTier = hotTier
        self.lookup = EntryLookup(store: store, gate: self.gate, hotTier: hotTier, feedStatus: feedStatus, clock: clock, feedDownMaxAgeSeconds: configuration.feedDownMaxAgeSeconds)
        self.inflater = EntryInflater(
            kept: previous?.inflater.kept ?? (configuration.identityCacheBytes > 0 ? IdentityBodyCache(maxBytes: configuration.identityCacheBytes) : nil),
            metrics: metrics)
        let failures = UpstreamFailureLog(logger: logger)
        let health = previous?.upstreamHealth ?? UpstreamHealth(failureThreshold: configuration.upstreamUnhealthyAfterFailures)
        self.forwarder = Forwarder(upstream: upstream, metrics: metrics, clock: clock, writeBarrier: writeBarrier, failures: failures, health: health, cacheStatusMember: cacheStatusMember)
        let fetcher = EntryFetcher(configuration: configuration, upstream: upstream, store: store, hotTier: hotTier, metrics: metrics, clock: clock, failures: failures, health: health)
        self.filling = FillService(
            fetcher: fetcher, lookup: lookup, coordinator: fills, tokens: previous?.filling.tokens ?? FillLockTokens(),
            lockMilliseconds: configuration.fillLockMilliseconds, wakeFallbackMilliseconds: configuration.fillWaitFallbackMilliseconds,
            refreshes: previous?.filling.refreshes ?? NIOLockedValueBox(RefreshQueue(limit: configuration.maxBackgroundRefreshes, maxWaiting: configuration.maxQueuedRefreshes)))
    }

    /// Serves one request. The future completes on `loop`.
    public func handle(_ request: ProxyRequest, on loop: EventLoop) -> EventLoopFuture<ProxyResponse> {
        let promise = loop.makePromise(of: ProxyResponse.self)
        let sink = PromiseResponseSink(promise)
        loop.execute {
            if let response = self.answer(request, router: RequestRouter(engine: self, capacity: 1), on: loop, sink: sink) {
                promise.succeed(response)
            }
        }
        return promise.futureResult
    }

    /// Serves one request; call on `loop`. Routed by `router` (this loop's) and answered at
    /// once, as the return value, when the hot tier holds a fresh entry for it (no flow, no
    /// future, no callback); otherwise nil is returned and the response later goes to `sink`,
    /// once, on `loop`, from the `RequestFlow` that dispatches every other kind of request.
    func answer(_ request: ProxyRequest, router: RequestRouter, on loop: EventLoop, sink: any ProxyResponseSink) -> ProxyResponse? {
        let started = MonotonicClock.nanoseconds()
        let routed = router.route(request)
        if let response = freshHotTierResponse(request, routed: routed, started: started) { return response }
        RequestFlow(engine: self, request: request, loop: loop, sink: sink).run(routed)
        return nil
    }

    /// The response for a fresh hot-tier entry, decided by the same `RequestStateMachine`
    /// steps a `RequestFlow` takes, or nil when the tier has no fresh entry for the request
    /// (the flow then looks again and takes it from there).
    private func freshHotTierResponse(_ request: ProxyRequest, routed: RoutedRequest, started: UInt64) -> ProxyResponse? {
        let now = clock.nowMilliseconds()
        guard let hot = freshHotEntry(routed, now: now), let key = routed.key, let route = routed.route else { return nil }
        metrics.hotTierHits.increment()
        let identity = routed.prefersGzip ? hot.identityBody : identityBody(of: hot, key: key)
        let response = representation.serve(meta: hot.meta, storedBody: hot.storedBody, identityBody: identity, headerValues: hot.headerValues, outcome: .hit, route: route, request: request.head, prefersGzip: routed.prefersGzip, now: now)
        metrics.recordRequest(routeIndex: route.index, outcome: response.outcome, status: response.head.status.code, startedNanoseconds: started, key: key)
        return response
    }

    /// The hot tier's entry for `routed` when it is served at once: a usable entry stored under
    /// the route's current rules that the `RequestStateMachine`'s first two steps take as a
    /// fresh hit needing no refresh. Nil for anything else (origin-controlled and passed
    /// requests have no key).
    func freshHotEntry(_ routed: RoutedRequest, now: Int64) -> HotTier.Entry? {
        guard hotTier != nil, let key = routed.key, let route = routed.route, let hot = lookup.usableHotEntry(key), route.storedUnderCurrentRules(hot.meta) else { return nil }
        var machine = RequestStateMachine()
        guard case .lookup = machine.start(routed.classification, key: key),
              case .serveEntry(.hit, refreshInBackground: false) = machine.lookupFinished(hot.meta, now: now) else { return nil }
        return hot
    }

    /// The identity body of a hot-tier entry for an identity client: the one it keeps, or for a
    /// gzip entry without one, `identityBody(_:gzipBody:)`, kept beside the entry for the next
    /// identity client.
    private func identityBody(of hot: HotTier.Entry, key: String) -> ByteBuffer? {
        guard hot.meta.encoding == .gzip, hot.identityBody == nil else { return hot.identityBody }
        guard let body = identityBody(hot.meta, gzipBody: hot.storedBody) else { return nil }
        hotTier?.attachIdentity(key, identity: body, to: hot.meta)
        return body
    }

    /// The identity body of a gzip entry, for an identity client (`EntryInflater`).
    func identityBody(_ meta: EntryMetadata, gzipBody: ByteBuffer) -> ByteBuffer? {
        inflater.identityBody(meta, gzipBody: gzipBody)
    }

    /// Forgets the refreshes waiting for a slot (shutdown).
    func dropWaitingRefreshes() {
        filling.dropWaitingRefreshes()
    }
}
