import CatalogCacheCore
import CatalogCompression
import CatalogHTTP
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// The cache-first serve path, shared by every connection of a proxy instance.
///
/// Invariants: a request is written upstream at most once (the pool never retries);
/// nothing is stored unless the route's storability rules allow it and the fill ticket is
/// still current; every request is counted once in `metrics` under its outcome.
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
    /// Whether any route is origin-controlled; without one, requests never look for one.
    let hasOriginRoutes: Bool
    public let gate: InvalidationGate
    /// Holds write answers until their invalidations are applied; nil without a feed.
    let writeBarrier: WriteBarrier?
    /// The in-process tier in front of the store; nil when off.
    public let hotTier: HotTier?
    /// Inflated bodies of gzip entries read from the store, for identity clients; nil when off.
    let identityBodies: IdentityBodyCache?
    /// The invalidation feed's state; nil without a feed.
    let feedStatus: InvalidationFeedStatus?
    /// Upstream failures, logged with their request ids (rate-limited).
    let upstreamFailures: UpstreamFailureLog
    /// The upstream's health as this instance's requests observe it (`/readyz`).
    public let upstreamHealth: UpstreamHealth
    /// Background refreshes: at most `maxBackgroundRefreshes` running, at most
    /// `maxQueuedRefreshes` more waiting for a slot.
    let refreshes: NIOLockedValueBox<RefreshQueue<RefreshJob>>
    /// This instance's name in its fill-lock tokens (`<owner>.<random>`), random per engine.
    public let fillLockOwner: String
    /// `fillLockOwner` and the dot: how every token of this instance begins.
    private let fillLockTokenPrefix: String
    /// Tokens of the fill locks this instance's fills are asking for or hold right now. A lock
    /// held under this instance's name with a token not in here was left behind (its release
    /// was lost); one in here belongs to a fill still running here (an overflowing miss, or a
    /// fill started after an invalidation detached the earlier one) and is waited for.
    private let liveFillLockTokens: NIOLockedValueBox<Set<String>>

    public init(configuration: ProxyConfiguration, store: any CacheStore, upstream: UpstreamPool, metrics: ProxyMetrics, clock: any CacheClock, fills: FillCoordinator = FillCoordinator(), gate: InvalidationGate = InvalidationGate(), writeBarrier: WriteBarrier? = nil, hotTier: HotTier? = nil, feedStatus: InvalidationFeedStatus? = nil, logger: Logger = Logger(label: "catalog-cache"), continuing previous: CacheEngine? = nil) {
        self.identityBodies = previous?.identityBodies ?? (configuration.identityCacheBytes > 0 ? IdentityBodyCache(maxBytes: configuration.identityCacheBytes) : nil)
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
        self.sharedRepresentation = SharedCacheRepresentation(metrics: metrics, cacheStatusMember: CacheStatus.member(name: configuration.cacheStatusName) ?? "catalog-cache")
        self.hasOriginRoutes = configuration.routes.contains { $0.mode == .origin }
        self.gate = gate
        self.writeBarrier = writeBarrier
        self.hotTier = hotTier
        self.feedStatus = feedStatus
        self.upstreamFailures = UpstreamFailureLog(logger: logger)
        self.upstreamHealth = previous?.upstreamHealth ?? UpstreamHealth(failureThreshold: configuration.upstreamUnhealthyAfterFailures)
        self.refreshes = previous?.refreshes ?? NIOLockedValueBox(RefreshQueue(limit: configuration.maxBackgroundRefreshes, maxWaiting: configuration.maxQueuedRefreshes))
        self.fillLockOwner = previous?.fillLockOwner ?? String(UInt64.random(in: 0...UInt64.max), radix: 36)
        self.fillLockTokenPrefix = fillLockOwner + "."
        self.liveFillLockTokens = previous?.liveFillLockTokens ?? NIOLockedValueBox(Set<String>())
    }

    /// False when the feed is down and `meta` is older than `feed_down_max_age_s`: such an
    /// entry may have been invalidated while nobody listened, so it is refetched instead.
    func usableWhileFeedDown(_ meta: EntryMetadata) -> Bool {
        guard let limit = configuration.feedDownMaxAgeSeconds, let feedStatus, feedStatus.state != "listening" else { return true }
        return clock.nowMilliseconds() - meta.storedAt < Int64(limit) * 1000
    }

    /// Methods whose answers wait for their invalidations (read-your-writes).
    static func isWrite(_ method: HTTPMethod) -> Bool {
        switch method {
        case .GET, .HEAD, .OPTIONS, .TRACE, .CONNECT: return false
        default: return true
        }
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

    /// Serves one request; call on `loop`. On an origin-controlled route through a
    /// `SharedCacheFlow`; else routed by `router` (this loop's) and answered at once, as the
    /// return value, when the hot tier holds a fresh entry for it (no flow, no future, no
    /// callback); otherwise nil is returned and the response later goes to `sink`, once, on
    /// `loop`, from a `RequestFlow`.
    func answer(_ request: ProxyRequest, router: RequestRouter, on loop: EventLoop, sink: any ProxyResponseSink) -> ProxyResponse? {
        let started = MonotonicClock.nanoseconds()
        if hasOriginRoutes, let flow = SharedCacheFlow.make(engine: self, request: request, loop: loop) {
            let box = NIOLoopBound(sink, eventLoop: loop)
            flow.run().whenComplete { result in
                switch result {
                case .success(let response): box.value.receive(response)
                case .failure(let error): box.value.receive(.error(.internalServerError, code: "internal", message: "\(error)", version: request.head.version))
                }
            }
            return nil
        }
        let routed = router.route(request)
        if let response = freshHotTierResponse(request, routed: routed, started: started) { return response }
        RequestFlow(engine: self, request: request, loop: loop, sink: sink).run(routed)
        return nil
    }

    /// The response for a fresh hot-tier entry, decided by the same `RequestStateMachine`
    /// steps a `RequestFlow` takes, or nil when the tier has no fresh entry for the request
    /// (the flow then looks again and takes it from there).
    private func freshHotTierResponse(_ request: ProxyRequest, routed: RoutedRequest, started: UInt64) -> ProxyResponse? {
        guard hotTier != nil, let key = routed.key, let route = routed.route, let hot = usableHotEntry(key), route.storedUnderCurrentRules(hot.meta) else { return nil }
        var machine = RequestStateMachine()
        let now = clock.nowMilliseconds()
        guard case .lookup = machine.start(routed.classification, key: key),
              case .serveEntry(.hit, refreshInBackground: false) = machine.lookupFinished(hot.meta, now: now) else { return nil }
        metrics.hotTierHits.increment()
        let identity = routed.prefersGzip ? hot.identityBody : identityBody(of: hot, key: key)
        let response = representation.serve(meta: hot.meta, storedBody: hot.storedBody, identityBody: identity, headerValues: hot.headerValues, outcome: .hit, route: route, request: request.head, prefersGzip: routed.prefersGzip, now: now)
        metrics.recordRequest(routeIndex: route.index, outcome: response.outcome, status: response.head.status.code, startedNanoseconds: started, key: key)
        return response
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

    /// The identity body of a gzip entry, for an identity client: from `identityBodies` (keyed
    /// by the entry's identity ETag, so never another entry's body), else inflated now
    /// (counted in `inflatesPerRequest`) and kept there. The one place an entry is inflated
    /// for a response. Nil when the stored bytes do not inflate to exactly the entry's
    /// identity length (a response then says 502 rather than send a body its
    /// `Content-Length` does not describe).
    func identityBody(_ meta: EntryMetadata, gzipBody: ByteBuffer) -> ByteBuffer? {
        if let kept = identityBodies?.body(etag: meta.etag, length: meta.identityLength) { return kept }
        let inflated: [UInt8]? = gzipBody.withUnsafeReadableBytes { try? Gzip.decompress($0, maxOutput: max(meta.identityLength, 1)) }
        guard let inflated, inflated.count == meta.identityLength else { return nil }
        metrics.inflatesPerRequest.increment()
        let body = ByteBuffer(bytes: inflated)
        identityBodies?.insert(etag: meta.etag, body: body)
        return body
    }

    /// The hot tier's entry for `key` when it may be served: not being invalidated, and
    /// usable while the feed is down.
    func usableHotEntry(_ key: String) -> HotTier.Entry? {
        guard let hot = hotTier?.get(key), !gate.blocks(key: key, tags: hot.meta.tags), usableWhileFeedDown(hot.meta) else { return nil }
        return hot
    }

    // MARK: Upstream

    /// Forwards a request that is not served from the cache, exactly once.
    func forward(_ request: ProxyRequest, on loop: EventLoop) -> EventLoopFuture<ProxyResponse> {
        var head = request.head
        head.headers = ForwardingHeaders.forwardedRequestHeaders(head.headers, clientAddress: request.clientAddress)
        let started = clock.nowMilliseconds()
        var answered = upstream.execute(UpstreamRequest(head: head, body: request.body), on: loop)
        answered.whenFailure { [head] in self.upstreamFailures.record($0, request: head, fill: false) }
        answered.whenComplete { self.upstreamHealth.record($0) }
        if let writeBarrier, Self.isWrite(request.head.method) {
            answered = answered.flatMap { response in writeBarrier.wait(on: loop).map { response } }
        }
        return answered.map { response in
            self.metrics.upstreamLatency.observe(Double(self.clock.nowMilliseconds() - started) / 1000)
            self.metrics.upstreamBytesReceived.increment(by: response.body.readableBytes)
            var headers = ForwardingHeaders.forwardedResponseHeaders(response.head.headers)
            if request.head.method != .HEAD, !Self.bodyless(response.head.status) {
                headers.replaceOrAdd(name: "Content-Length", value: String(response.body.readableBytes))
            }
            headers.replaceOrAdd(name: "X-Cache", value: CacheOutcome.bypass.xCacheValue)
            let cacheStatus = CacheStatus(forward: .bypass, forwardStatus: Int(response.head.status.code)).fieldValue(member: self.sharedRepresentation.cacheStatusMember)
            headers.replaceOrAdd(name: "Cache-Status", value: CacheStatus.appending(cacheStatus, to: Self.joined(headers, "cache-status")))
            let head = HTTPResponseHead(version: request.head.version, status: response.head.status, headers: headers)
            return ProxyResponse(head: head, body: request.head.method == .HEAD ? nil : response.body, outcome: .bypass)
        }.flatMapErrorThrowing { error in
            self.upstreamFailureResponse(error, request: request.head, outcome: .bypass)
        }
    }

    /// Every value of the field `name`, joined as one list (nil when absent).
    static func joined(_ headers: HTTPHeaders, _ name: String) -> String? {
        let values = headers[name]
        return values.isEmpty ? nil : values.joined(separator: ", ")
    }

    static func bodyless(_ status: HTTPResponseStatus) -> Bool {
        status == .noContent || status == .notModified || status.code < 200
    }

    func upstreamFailureResponse(_ error: Error, request: HTTPRequestHead, outcome: CacheOutcome) -> ProxyResponse {
        let upstreamError = error as? UpstreamError
        let timeout = upstreamError?.isTimeout ?? false
        metrics.upstreamErrors.increment(upstreamError.map { Self.label($0) } ?? "other")
        return .error(
            timeout ? .gatewayTimeout : .badGateway,
            code: timeout ? "upstream_timeout" : "upstream_unavailable",
            message: timeout ? "the upstream did not answer in time" : "the upstream could not be reached (\(upstreamError.map { "\($0)" } ?? "\(error)"))",
            outcome: outcome, version: request.version
        )
    }

    static func label(_ error: UpstreamError) -> String {
        switch error {
        case .connectFailed: return "connect_failed"
        case .connectTimeout: return "connect_timeout"
        case .readTimeout: return "read_timeout"
        case .totalTimeout: return "total_timeout"
        case .connectionClosedBeforeResponse: return "closed"
        case .malformedResponse: return "malformed"
        case .responseTooLarge: return "too_large"
        default: return "other"
        }
    }

    /// Fetches a cacheable resource (always with GET), stores it when storable and the
    /// ticket is still current, and answers what the waiters should get.
    ///
    /// Across instances sharing a Redis, one instance takes the key's fill lock and goes
    /// upstream; the others wait for its entry (polling every 10 ms, at most the lock's
    /// lifetime) and fetch themselves only when the lock goes away without a fresh entry.
    /// The ticket and the lock are asked for in one write (one round trip); the lock is
    /// released by the store of the entry, or on its own when nothing is stored. A lock held
    /// under this instance's own name by none of its running fills is not waited for: it is a
    /// leftover whose release was lost (a Redis timeout), and waiting for it would stall this
    /// key's misses until it expires. One held by a running fill here is waited for like a
    /// peer's.
    func fill(_ request: ProxyRequest, route: CompiledRoute, key: String, tags: [String], on loop: EventLoop) -> EventLoopFuture<FillResult> {
        let hotEpoch = hotTier?.epoch
        // The upstream fetch for a fill that does not hold the fill lock.
        let fetchUnlocked: @Sendable (StoreTicket?) -> EventLoopFuture<FillResult> = { ticket in
            self.fetch(request, route: route, key: key, tags: tags, ticket: ticket, hotEpoch: hotEpoch, on: loop).map(\.result)
        }
        let ticketRead = store.ticket(key: key, tags: tags, on: loop).map { Optional($0) }.recover { _ in
            self.metrics.redisErrors.increment()
            return nil
        }
        let lockMilliseconds = Int64(configuration.fillLockMilliseconds)
        guard lockMilliseconds > 0 else {
            return ticketRead.flatMap { ticket in
                if let entry = self.freshEntry(ticket?.entry, key: key, route: route) { return loop.makeSucceededFuture(entry) }
                return fetchUnlocked(ticket)
            }
        }
        let token = fillLockTokenPrefix + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        liveFillLockTokens.withLockedValue { _ = $0.insert(token) }
        let lockTaken = store.acquireFillLock(key, token: token, ttlMilliseconds: lockMilliseconds, on: loop).recover { _ in true }
        return ticketRead.and(lockTaken).flatMap { ticket, acquired in
            // Double check: a fill that finished between this request's lookup and its
            // joining the flight left a fresh entry; use it rather than go upstream again.
            if let entry = self.freshEntry(ticket?.entry, key: key, route: route) {
                if acquired { self.releaseFillLock(key, token: token, on: loop) } else { self.forgetFillLockToken(token) }
                return loop.makeSucceededFuture(entry)
            }
            if acquired {
                var held = ticket
                held?.fillLockToken = token
                return self.fetch(request, route: route, key: key, tags: tags, ticket: held, hotEpoch: hotEpoch, on: loop).always { outcome in
                    if case .success(let fetched) = outcome, fetched.lockReleased {
                        self.forgetFillLockToken(token)
                    } else {
                        self.releaseFillLock(key, token: token, on: loop)
                    }
                }.map(\.result)
            }
            self.forgetFillLockToken(token)
            return self.store.fillLockHolder(key, on: loop).recover { _ in nil }.flatMap { holder in
                if let holder, holder.hasPrefix(self.fillLockTokenPrefix), !self.liveFillLockTokens.withLockedValue({ $0.contains(holder) }) {
                    self.metrics.fillLocksLeftBehind.increment()
                    return fetchUnlocked(ticket)
                }
                self.metrics.fillLockWaits.increment()
                let deadline = self.clock.nowMilliseconds() + lockMilliseconds
                return self.awaitPeerFill(key: key, route: route, deadline: deadline, on: loop).flatMap { peer in
                    if let peer { return loop.makeSucceededFuture(peer) }
                    return fetchUnlocked(ticket)
                }
            }
        }
    }

    /// Releases the fill lock of `key` held by `token`, then forgets the token (whether the
    /// release arrived or not: a lock still under it is then one left behind).
    private func releaseFillLock(_ key: String, token: String, on loop: EventLoop) {
        store.releaseFillLock(key, token: token, on: loop).whenComplete { _ in self.forgetFillLockToken(token) }
    }

    /// The token no longer stands for a running fill (its lock was released, or never taken).
    private func forgetFillLockToken(_ token: String) {
        liveFillLockTokens.withLockedValue { _ = $0.remove(token) }
    }

    /// Waits for another fill of `key` (another instance's, or one still running here):
    /// answers its entry once stored (fresh, and not being invalidated), or nil when its lock
    /// went away without one or at `deadline`.
    private func awaitPeerFill(key: String, route: CompiledRoute, deadline: Int64, on loop: EventLoop) -> EventLoopFuture<FillResult?> {
        let freshEntry: @Sendable (ByteBuffer?) -> FillResult? = { self.freshEntry($0, key: key, route: route) }
        return store.get(key, on: loop).flatMap { buffer -> EventLoopFuture<FillResult?> in
            if let entry = freshEntry(buffer) { return loop.makeSucceededFuture(entry) }
            if self.clock.nowMilliseconds() >= deadline { return loop.makeSucceededFuture(nil) }
            return self.store.fillLockHolder(key, on: loop).flatMap { holder in
                if holder == nil {
                    // Released: either its entry is there now, or it stored nothing.
                    return self.store.get(key, on: loop).map(freshEntry)
                }
                return loop.flatScheduleTask(in: .milliseconds(10)) {
                    self.awaitPeerFill(key: key, route: route, deadline: deadline, on: loop)
                }.futureResult
            }
        }.recover { _ in nil }
    }

    /// The entry in `buffer` if it decodes, is fresh, is not being invalidated, and may be
    /// served while the feed is down, and was stored under `route`'s current rules: by the
    /// same rules as a lookup.
    private func freshEntry(_ buffer: ByteBuffer?, key: String, route: CompiledRoute) -> FillResult? {
        guard let buffer, let decoded = RequestFlow.decode(buffer), route.storedUnderCurrentRules(decoded.meta),
              FreshnessPolicy.evaluate(decoded.meta, now: clock.nowMilliseconds()) == .fresh,
              !gate.blocks(key: key, tags: decoded.meta.tags), usableWhileFeedDown(decoded.meta) else { return nil }
        return .storedByAnotherFill(decoded.meta, body: decoded.body)
    }

    /// What a fetch produced, and whether its store released the ticket's fill lock.
    struct Fetched: Sendable {
        var result: FillResult
        var lockReleased = false
    }

    /// One upstream request for a cacheable resource, then the entry. Fails only when the
    /// upstream does (the fill lock, if any, is then still held).
    private func fetch(_ request: ProxyRequest, route: CompiledRoute, key: String, tags: [String], ticket: StoreTicket?, hotEpoch: UInt64?, on loop: EventLoop) -> EventLoopFuture<Fetched> {
        var head = request.head
        head.method = .GET
        head.headers = ForwardingHeaders.fillRequestHeaders(head.headers, clientAddress: request.clientAddress, keyed: route.rule.varyHeaders)
        let started = clock.nowMilliseconds()
        let answered = upstream.execute(UpstreamRequest(head: head, body: nil), on: loop)
        answered.whenFailure { [head] in self.upstreamFailures.record($0, request: head, fill: true) }
        answered.whenComplete { self.upstreamHealth.record($0) }
        return answered.flatMap { response in
            self.metrics.upstreamLatency.observe(Double(self.clock.nowMilliseconds() - started) / 1000)
            self.metrics.upstreamBytesReceived.increment(by: response.body.readableBytes)
            return self.makeEntry(from: response, route: route, key: key, tags: tags, ticket: ticket, hotEpoch: hotEpoch, on: loop)
        }
    }

    private func makeEntry(from response: UpstreamResponse, route: CompiledRoute, key: String, tags: [String], ticket: StoreTicket?, hotEpoch: UInt64?, on loop: EventLoop) -> EventLoopFuture<Fetched> {
        let headers = response.head.headers
        // Repeated lines of a list field (`Cache-Control: public` then `Cache-Control: private`)
        // count as one comma-joined value (RFC 9110 §5.3).
        let storable = ResponseStorability.isStorable(status: Int(response.head.status.code), headerValue: { name in
            let values = headers[name]
            return values.isEmpty ? nil : values.joined(separator: ", ")
        }, rule: route.rule)
        guard storable, response.body.readableBytes <= configuration.maxCachedObjectBytes else {
            return loop.makeSucceededFuture(Fetched(result: .unshareable(response)))
        }
        var identity: [UInt8] = response.body.withUnsafeReadableBytes { Array($0) }
        if let coding = headers.first(name: "content-encoding")?.lowercased(), coding != "identity" {
            guard coding == "gzip" || coding == "x-gzip",
                  let inflated = try? Gzip.decompress(identity, maxOutput: configuration.maxCachedObjectBytes) else {
                return loop.makeSucceededFuture(Fetched(result: .unshareable(response)))
            }
            identity = inflated
        }
        guard let tags = route.entryTags(tags, body: identity) else {
            metrics.entriesUntaggable.increment()
            return loop.makeSucceededFuture(Fetched(result: .unshareable(response)))
        }
        var stored = identity
        var encoding = ContentEncoding.identity
        if identity.count >= configuration.compressionThresholdBytes,
           let compressed = try? Gzip.compress(identity, level: configuration.compressionLevel), compressed.count < identity.count {
            stored = compressed
            encoding = .gzip
        }
        let extra = ["last-modified", "content-language"].compactMap { name in headers.first(name: name).map { HeaderField(name: name, value: $0) } }
        let meta = EntryMetadata(
            status: Int(response.head.status.code),
            contentType: headers.first(name: "content-type") ?? "application/octet-stream",
            etag: String(SHA256.hex(identity).prefix(32)),
            storedAt: clock.nowMilliseconds(),
            ttl: route.rule.ttl,
            staleWhileRevalidate: route.rule.staleWhileRevalidate,
            staleIfError: route.rule.staleIfError,
            encoding: encoding,
            identityLength: identity.count,
            tags: tags,
            extraHeaders: extra
        )
        let savedBytes = identity.count - stored.count
        let body = ByteBuffer(bytes: stored)
        let result = FillResult.entry(meta, body: body)
        guard let ticket else { return loop.makeSucceededFuture(Fetched(result: result)) }
        let value = ByteBuffer(bytes: EntryEnvelope.encode(metadata: meta, body: stored))
        let started = clock.nowMilliseconds()
        return store.store(key, value: value, ttlMilliseconds: FreshnessPolicy.storageTTLMilliseconds(meta), tags: tags, ticket: ticket, on: loop)
            .map { didStore in
                self.metrics.redisLatency.observe(Double(self.clock.nowMilliseconds() - started) / 1000)
                if didStore {
                    if let hotEpoch { self.hotTier?.insert(key, meta: meta, storedBody: body, epoch: hotEpoch, route: route) }
                    self.metrics.entriesStored.increment()
                    self.metrics.bytesStored.increment(by: value.readableBytes)
                    self.metrics.bytesSavedByCompression.increment(by: savedBytes)
                } else {
                    self.metrics.storeRefusedStale.increment()
                }
                return Fetched(result: result, lockReleased: ticket.fillLockToken != nil)
            }
            .recover { _ in
                self.metrics.redisErrors.increment()
                return Fetched(result: result)
            }
    }

    /// Refreshes an entry served stale, once per key (followers of a refresh in flight do
    /// nothing): at once when fewer than `maxBackgroundRefreshes` are running, else after the
    /// ones before it (`RefreshQueue`; a key waits once), so a burst of stale entries cannot
    /// fill the upstream pool's queue ahead of client misses, and none is forgotten unless
    /// `maxQueuedRefreshes` are already waiting (then it is skipped and counted; the next
    /// request for the entry tries again).
    func refreshInBackground(_ request: ProxyRequest, route: CompiledRoute, key: String, tags: [String], on loop: EventLoop) {
        // The stale answers of a key being refreshed (the common case on a hot key) need
        // nothing: no slot, and no follower's promise from joining the flight.
        guard !fills.hasFlight(for: key) else { return }
        let job = RefreshJob(request: request, route: route, key: key, tags: tags, loop: loop)
        switch refreshes.withLockedValue({ $0.submit(key: key, job: job) }) {
        case .start:
            if !startRefresh(job) { runWaitingRefreshes() }
        case .queued:
            metrics.refreshesQueued.increment()
        case .alreadyWaiting:
            break
        case .full:
            metrics.refreshesSkipped.increment()
        }
    }

    /// Runs `job` in the slot it was given, on its loop; false (nothing started, the slot
    /// still held) when another fill of the key is running, which refreshes it anyway.
    private func startRefresh(_ job: RefreshJob) -> Bool {
        guard case .leader(let flight) = fills.join(key: job.key, tags: job.tags, bodyTagPrefixes: job.route.bodyTagPrefixes, on: job.loop) else { return false }
        fill(job.request, route: job.route, key: job.key, tags: job.tags, on: job.loop).whenComplete { result in
            self.fills.finish(flight, with: result)
            self.runWaitingRefreshes()
        }
        return true
    }

    /// A refresh's slot came free: hands it to the waiting refreshes in order until one
    /// starts (on its own loop) or none is left.
    private func runWaitingRefreshes() {
        while let next = refreshes.withLockedValue({ $0.finish() }) {
            let job = next.job
            guard job.loop.inEventLoop else {
                job.loop.execute { if !self.startRefresh(job) { self.runWaitingRefreshes() } }
                return
            }
            if startRefresh(job) { return }
        }
    }

    /// Forgets the refreshes waiting for a slot (shutdown).
    func dropWaitingRefreshes() {
        refreshes.withLockedValue { $0.removeAllWaiting() }
    }
}

/// A background refresh: the request that found the entry stale, on the loop it came in on.
struct RefreshJob: Sendable {
    let request: ProxyRequest
    let route: CompiledRoute
    let key: String
    let tags: [String]
    let loop: EventLoop
}
