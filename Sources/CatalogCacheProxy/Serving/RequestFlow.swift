import CatalogCacheCore
import CatalogHTTP
import NIOCore
import NIOHTTP1

/// Executes one request's `RequestStateMachine` actions.
///
/// Confined to `loop`: every callback hops to it before touching `machine` or `sink`, which
/// is why the class can be `@unchecked Sendable`. The response goes to `sink`, once.
final class RequestFlow: @unchecked Sendable {
    private let engine: CacheEngine
    private let request: ProxyRequest
    private let loop: EventLoop
    private let sink: any ProxyResponseSink
    private var machine = RequestStateMachine()
    private let startedNanoseconds = MonotonicClock.nanoseconds()

    private var route: CompiledRoute?
    /// The normalised path the cache key was built from.
    private var normalizedPath = ""
    private var key = ""
    private var match: RouteMatch?
    /// The entry's tags known before its body (the route's, and its query dimensions'),
    /// resolved only when a fill needs them (never on a hit).
    private lazy var tags: [String] = {
        guard let match else { return [] }
        let routeTags = match.rule.tags(for: match.parameters)
        guard let tagging = route?.tagging else { return routeTags }
        return routeTags + tagging.queryTags(QueryNormalizer.parameters(request.target.query)).filter { !routeTags.contains($0) }
    }()
    /// The entry found by the lookup (also the stale-if-error fallback); `identity` is the
    /// inflated body of a gzip entry when the hot tier keeps one.
    private var found: (meta: EntryMetadata, body: ByteBuffer, identity: ByteBuffer?)?
    private var flight: FillCoordinator.Flight?
    private var followerResult: EventLoopFuture<FillResult>?
    private var fillResult: FillResult?
    private var lastError: Error?
    /// The router's answer for `Accept-Encoding`.
    private var prefersGzip = false

    init(engine: CacheEngine, request: ProxyRequest, loop: EventLoop, sink: any ProxyResponseSink) {
        self.engine = engine
        self.request = request
        self.loop = loop
        self.sink = sink
    }

    func run(_ routed: RoutedRequest) {
        prefersGzip = routed.prefersGzip
        switch routed.classification {
        case .cacheable(let match, let normalizedPath):
            route = routed.route
            self.normalizedPath = normalizedPath
            self.match = match
            self.key = routed.key ?? ""
        case .originControlled(let match, let normalizedPath):
            route = routed.route
            self.normalizedPath = normalizedPath
            self.match = match
        case .bypass:
            break
        }
        perform(machine.start(routed.classification, key: routed.key))
    }

    private func perform(_ action: RequestStateMachine.Action) {
        loop.preconditionInEventLoop()
        switch action {
        case .rejectUnsafePath:
            engine.metrics.clientErrors.increment("unsafe_path")
            finish(.error(.badRequest, code: "bad_path", message: "the request path cannot be normalised safely", outcome: .bypass, version: request.head.version))

        case .pass(let reason):
            engine.metrics.bypassReasons.increment(reason.rawValue)
            engine.forwarder.forward(request, on: loop).whenComplete { result in
                self.machine.passFinished()
                switch result {
                case .success(let response): self.finish(response)
                case .failure(let error): self.finish(self.engine.forwarder.failureResponse(error, request: self.request.head, outcome: .bypass))
                }
            }

        case .serveOriginControlled:
            guard let route, let match else { preconditionFailure("origin-controlled without a route") }
            let flow = SharedCacheFlow(engine: engine, request: request, loop: loop, route: route, match: match, path: normalizedPath)
            key = flow.urlKey
            flow.run().whenComplete { result in
                let response: ProxyResponse
                switch result {
                case .success(let answer): response = answer
                case .failure(let error): response = .error(.internalServerError, code: "internal", message: "\(error)", version: self.request.head.version)
                }
                self.machine.originControlledFinished(response.outcome)
                self.finish(response)
            }

        case .lookup(let key):
            let hotEpoch: UInt64?
            if let hotTier = engine.hotTier {
                if let hot = engine.lookup.usableHotEntry(key), route?.storedUnderCurrentRules(hot.meta) ?? true {
                    engine.metrics.hotTierHits.increment()
                    found = (hot.meta, hot.storedBody, hot.identityBody)
                    perform(machine.lookupFinished(hot.meta, now: engine.clock.nowMilliseconds()))
                    return
                }
                hotEpoch = hotTier.epoch
            } else {
                hotEpoch = nil
            }
            let started = engine.clock.nowMilliseconds()
            engine.store.get(key, on: loop).whenComplete { result in
                self.lookupRead(result, key: key, hotEpoch: hotEpoch, started: started)
            }

        case .serveEntry(let outcome, let refresh):
            guard var found, let route else { preconditionFailure("serveEntry without an entry") }
            if !prefersGzip, found.meta.encoding == .gzip, found.identity == nil {
                found.identity = engine.identityBody(found.meta, gzipBody: found.body)
            }
            let now = engine.clock.nowMilliseconds()
            // Served stale without a refresh: the fill failed (stale-if-error).
            let staleIfError = outcome == .stale && !refresh
                ? CacheStatus(forward: .stale, ttl: EntryRepresentation.remainingTTL(found.meta, now: now), detail: "stale-if-error") : nil
            finish(engine.representation.serve(meta: found.meta, storedBody: found.body, identityBody: found.identity, outcome: outcome, cacheStatus: staleIfError, route: route, request: request.head, prefersGzip: prefersGzip, now: now))
            if refresh { engine.filling.refreshInBackground(fillRequest, route: route, key: key, tags: tags, on: loop) }

        case .joinFill(let key):
            switch engine.fills.join(key: key, tags: tags, bodyTagPrefixes: route?.bodyTagPrefixes ?? [], on: loop) {
            case .leader(let flight):
                self.flight = flight
                perform(machine.joined(as: .leader))
            case .follower(let future):
                followerResult = future
                perform(machine.joined(as: .follower))
            case .overflow:
                perform(machine.overflowed())
            }

        case .fetchAndStore, .fetchAlone:
            guard let route else { preconditionFailure("fetch without a route") }
            let flight = self.flight
            self.flight = nil
            engine.filling.fill(fillRequest, route: route, key: key, tags: tags, on: loop).whenComplete { result in
                if let flight { self.engine.fills.finish(flight, with: result) }
                self.fillCompleted(result)
            }

        case .awaitFill:
            followerResult!.hop(to: loop).whenComplete { self.fillCompleted($0) }

        case .respondFromFill(let outcome):
            guard let route, let fillResult else { preconditionFailure("respondFromFill without a result") }
            switch fillResult {
            case .entry(let meta, let body), .storedByAnotherFill(let meta, let body):
                let identity = !prefersGzip && meta.encoding == .gzip ? engine.identityBody(meta, gzipBody: body) : nil
                // A miss that found an expired entry went forward because it was stale.
                let forwardedStale = outcome == .miss && found != nil
                    ? CacheStatus(forward: .stale, forwardStatus: meta.status, stored: true) : nil
                finish(engine.representation.serve(meta: meta, storedBody: body, identityBody: identity, outcome: outcome, cacheStatus: forwardedStale, route: route, request: request.head, prefersGzip: prefersGzip, now: engine.clock.nowMilliseconds()))
            case .unshareable(let response):
                let cacheStatus = route.cacheStatus(CacheStatus(forward: found != nil ? .stale : .miss, forwardStatus: Int(response.head.status.code)))
                finish(Forwarder.relay(response, to: request.head, outcome: outcome, cacheStatus: cacheStatus, defaultCacheControl: "no-cache"))
            }

        case .failUpstream(let status):
            var response = engine.forwarder.failureResponse(lastError ?? UpstreamError.connectionClosedBeforeResponse, status: status, request: request.head, outcome: .miss)
            if let route {
                response.head.headers.add(name: "X-Cache", value: CacheOutcome.miss.xCacheValue)
                response.head.headers.add(name: "Cache-Status", value: route.cacheStatus(CacheStatus(forward: found != nil ? .stale : .miss, detail: "upstream-unavailable")))
            }
            finish(response)
        }
    }

    /// The request a fill sends upstream: for exactly what the key stands for, the normalised
    /// path and the canonical query of the parameters the route keeps, never the client's raw target (`//store/x/../products`
    /// must not fill the `/store/products` entry with the origin's answer to another URL).
    private var fillRequest: ProxyRequest {
        var fill = request
        let query = QueryNormalizer.canonical(query: request.target.query, filter: route?.rule.queryFilter ?? .all)
        fill.head.uri = query.isEmpty ? normalizedPath : normalizedPath + "?" + query
        return fill
    }

    private func fillCompleted(_ result: Result<FillResult, Error>) {
        switch result {
        case .success(let fill):
            fillResult = fill
            switch fill {
            case .entry: perform(machine.fillFinished(shareable: true))
            case .storedByAnotherFill: perform(machine.fillFinished(shareable: true, servedByAnotherFill: true))
            case .unshareable: perform(machine.fillFinished(shareable: false))
            }
        case .failure(let error):
            lastError = error
            perform(machine.fillFailed(isTimeout: (error as? UpstreamError)?.isTimeout ?? false))
        }
    }

    private func finish(_ response: ProxyResponse) {
        var response = response
        if let outcome = machine.outcome { response.outcome = outcome }
        engine.metrics.recordRequest(routeIndex: route?.index, outcome: response.outcome, status: response.head.status.code, startedNanoseconds: startedNanoseconds, key: key)
        sink.receive(response)
    }

    /// The store's answer to a lookup: a usable entry becomes `found` (and enters the hot
    /// tier when the tier's epoch has not moved since `hotEpoch`).
    private func lookupRead(_ result: Result<ByteBuffer?, Error>, key: String, hotEpoch: UInt64?, started: Int64) {
        engine.metrics.redisLatency.observe(Double(engine.clock.nowMilliseconds() - started) / 1000)
        switch result {
        case .success(let value):
            if let decoded = engine.lookup.servable(value, key: key, route: route) {
                found = (decoded.meta, decoded.body, nil)
                // Enters probation: a read from the store is the entry's first touch here, and
                // only a second (a tier hit) promotes it, so a scan cannot push out the hot set.
                if let hotEpoch, let hotTier = engine.hotTier {
                    hotTier.insert(key, meta: decoded.meta, storedBody: decoded.body, epoch: hotEpoch, route: route)
                }
            }
            perform(machine.lookupFinished(found?.meta, now: engine.clock.nowMilliseconds()))
        case .failure:
            engine.metrics.redisErrors.increment()
            perform(machine.lookupFailed())
        }
    }
}
