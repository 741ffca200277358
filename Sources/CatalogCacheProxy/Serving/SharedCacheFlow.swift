import CatalogCacheCore
import CatalogCompression
import CatalogHTTP
import NIOCore
import NIOHTTP1

/// One request on an origin-controlled route: a standards-conformant shared cache
/// (RFC 9111), whose rules are the pure functions of `CatalogCacheCore/SharedCache`; this
/// class only does the I/O around them.
///
/// Storage: the URL's entry lives under `<prefix>rfc:<digest of the path and query>`; a
/// response with `Vary` is stored under that key plus `:<secondary key>` and the URL's key
/// holds a Vary index naming the headers. Every entry carries the route's tags and the tag
/// `rfc-uri:<digest>`, so invalidating the URL (§4.4, or the feed's keys) drops every
/// variant and refuses fills that started before. Confined to `loop`.
final class SharedCacheFlow: @unchecked Sendable {
    private let engine: CacheEngine
    private let request: ProxyRequest
    private let loop: EventLoop
    private let route: CompiledRoute
    private let match: RouteMatch
    private let target: String
    /// The URL's entry (or Vary index) in the store.
    let urlKey: String
    private let tags: [String]
    private let requestDirectives: RequestCacheControl
    /// The request's headers as every fetch sends them (`upstreamHeaders(of:)`); secondary
    /// keys are computed from these, so a variant is keyed on what the origin saw.
    private let forwardedHeaders: HTTPHeaders

    /// The flow of `request` on the origin-controlled route `route` (matched as `match` on the
    /// normalised `path`, by the `RequestRouter`).
    init(engine: CacheEngine, request: ProxyRequest, loop: EventLoop, route: CompiledRoute, match: RouteMatch, path: String) {
        let target = request.target.query.map { path + "?" + $0 } ?? path
        self.engine = engine
        self.request = request
        self.loop = loop
        self.route = route
        self.match = match
        self.target = target
        let digest = Self.digest(target)
        self.urlKey = engine.configuration.keyPrefix + "rfc:" + digest
        self.tags = match.rule.tags(for: match.parameters) + ["rfc-uri:" + digest]
        let headers = request.head.headers
        self.forwardedHeaders = Self.upstreamHeaders(of: request)
        self.requestDirectives = RequestCacheControl(cacheControl: headers[canonicalForm: "cache-control"].map(String.init), pragma: headers[canonicalForm: "pragma"].map(String.init))
    }

    /// What a fetch forwards: hop-by-hop fields, unkeyed overrides in every spelling and the
    /// client's `Host` removed (the upstream's goes instead), as on configured routes; and
    /// no validators, ranges or encodings of the client's (the fetch sets its own).
    static func upstreamHeaders(of request: ProxyRequest) -> HTTPHeaders {
        var headers = ForwardingHeaders.forwardedRequestHeaders(request.head.headers, clientAddress: request.clientAddress)
        ForwardingHeaders.removeUnkeyedOverrides(&headers, keeping: [])
        for name in ["host", "if-none-match", "if-modified-since", "if-match", "if-unmodified-since", "if-range", "range", "accept-encoding", "content-length", "expect"] {
            headers.remove(name: name)
        }
        return headers
    }

    static func digest(_ target: String) -> String {
        String(SHA256.hex(Array(target.utf8)).prefix(32))
    }

    private var now: Int64 { engine.clock.nowMilliseconds() }

    /// The response; its outcome is the request's (counted by the `RequestFlow`).
    func run() -> EventLoopFuture<ProxyResponse> {
        let method = request.head.method
        guard method == .GET || method == .HEAD else { return forwardUnsafe() }
        // Partial content is passed on untouched.
        if request.head.headers.contains(name: "range") { return engine.forwarder.forward(request, on: loop) }
        return serve()
    }

    // MARK: Unsafe methods (§4.4)

    private func forwardUnsafe() -> EventLoopFuture<ProxyResponse> {
        engine.forwarder.forward(request, on: loop).flatMap { response in
            let method = self.request.head.method.rawValue
            guard UnsafeMethodInvalidation.invalidates(method: method, status: Int(response.head.status.code)) else {
                return self.loop.makeSucceededFuture(response)
            }
            let targets = UnsafeMethodInvalidation.targets(
                requestTarget: self.target, host: self.request.head.headers.first(name: "host"),
                location: response.head.headers.first(name: "location"), contentLocation: response.head.headers.first(name: "content-location")
            )
            var keys: [String] = []
            var uriTags: [String] = []
            for target in targets {
                let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
                guard let path = PathNormalizer.normalize(String(parts[0])) else { continue }
                let digest = Self.digest(parts.count > 1 ? path + "?" + parts[1] : path)
                keys.append(self.engine.configuration.keyPrefix + "rfc:" + digest)
                uriTags.append("rfc-uri:" + digest)
            }
            self.engine.fills.detach(tags: Set(uriTags), keys: Set(keys))
            return self.engine.store.invalidate(keys: keys, tags: uriTags, on: self.loop)
                .map { removed in
                    self.engine.metrics.entriesInvalidated.increment(by: removed)
                    return response
                }
                .recover { _ in
                    self.engine.metrics.redisErrors.increment()
                    return response
                }
        }
    }

    // MARK: GET and HEAD

    private struct Found {
        var meta: EntryMetadata
        var body: ByteBuffer
        var key: String
    }

    private func serve() -> EventLoopFuture<ProxyResponse> {
        lookup().flatMap { found in
            guard let found else {
                if self.requestDirectives.onlyIfCached { return self.loop.makeSucceededFuture(self.onlyIfCachedFailure()) }
                return self.coalescedFill()
            }
            let info = Self.freshness(found.meta)
            let age = AgeCalculation.currentAge(correctedInitialAge: found.meta.initialAge, responseTime: found.meta.storedAt, now: self.now)
            switch ReuseDecision.decide(lifetime: info.lifetime.seconds, currentAge: age, response: info.directives, request: self.requestDirectives) {
            case .fresh:
                return self.loop.makeSucceededFuture(self.respond(found.meta, found.body, outcome: .hit, revalidated: false))
            case .staleAllowed:
                return self.loop.makeSucceededFuture(self.respond(found.meta, found.body, outcome: .stale, revalidated: false))
            case .staleWhileRevalidate:
                self.revalidateInBackground(found)
                return self.loop.makeSucceededFuture(self.respond(found.meta, found.body, outcome: .stale, revalidated: false))
            case .validate:
                if self.requestDirectives.onlyIfCached { return self.loop.makeSucceededFuture(self.onlyIfCachedFailure()) }
                return self.fetch(revalidating: found).map { $0.response }
            }
        }
    }

    private func onlyIfCachedFailure() -> ProxyResponse {
        .error(.gatewayTimeout, code: "not_cached", message: "only-if-cached: no stored response fits the request", outcome: .miss, version: request.head.version)
    }

    /// The stored response selected for this request: through the Vary index when there is
    /// one. Store errors count as a miss (fail open).
    private func lookup() -> EventLoopFuture<Found?> {
        get(urlKey).flatMap { primary -> EventLoopFuture<Found?> in
            guard let primary else { return self.loop.makeSucceededFuture(nil) }
            switch primary.meta.kind {
            case .originResponse:
                return self.loop.makeSucceededFuture(primary.meta.variantKey.isEmpty ? primary : nil)
            case .varyIndex:
                guard let names = VaryKey.fieldNames(primary.meta.extraHeaders.values("vary")), !names.isEmpty else {
                    return self.loop.makeSucceededFuture(nil)
                }
                let secondary = self.secondaryKey(names)
                return self.get(self.urlKey + ":" + secondary).map { variant in
                    guard let variant, variant.meta.kind == .originResponse, variant.meta.variantKey == secondary else { return nil }
                    return variant
                }
            case .configured:
                return self.loop.makeSucceededFuture(nil)
            }
        }
    }

    private func get(_ key: String) -> EventLoopFuture<Found?> {
        engine.store.get(key, on: loop).map { buffer -> Found? in
            guard let buffer, let decoded = EntryLookup.decode(buffer),
                  !self.engine.gate.blocks(key: key, tags: decoded.meta.tags), self.engine.lookup.usableWhileFeedDown(decoded.meta) else { return nil }
            return Found(meta: decoded.meta, body: decoded.body, key: key)
        }.recover { _ in
            self.engine.metrics.redisErrors.increment()
            return nil
        }
    }

    private func secondaryKey(_ names: [String]) -> String {
        VaryKey.secondaryKey(names: names) { name in self.forwardedHeaders[canonicalForm: name].map(String.init) }
    }

    private static func freshness(_ meta: EntryMetadata) -> (directives: ResponseCacheControl, lifetime: FreshnessLifetime) {
        let h = meta.extraHeaders
        let directives = ResponseCacheControl.effective(cacheControl: h.values("cache-control"), cdnCacheControl: h.values("cdn-cache-control"))
        let lifetime = FreshnessLifetime.compute(directives: directives, status: meta.status, expires: h.values("expires"), date: h.values("date"), lastModified: h.values("last-modified"), responseTime: meta.storedAt / 1000)
        return (directives, lifetime)
    }

    private func respond(_ meta: EntryMetadata, _ body: ByteBuffer, outcome: CacheOutcome, revalidated: Bool) -> ProxyResponse {
        engine.sharedRepresentation.response(meta: meta, storedBody: body, outcome: outcome, request: request.head, now: now, revalidated: revalidated)
    }

    // MARK: Fetching

    /// A miss: one upstream request per URL at a time in this instance. A follower uses the
    /// leader's stored response when it is the variant the follower asked for, else fetches alone.
    private func coalescedFill() -> EventLoopFuture<ProxyResponse> {
        switch engine.fills.join(key: urlKey, tags: tags, on: loop) {
        case .leader(let flight):
            return fetch(revalidating: nil).map { outcome in
                self.engine.fills.finish(flight, with: .success(outcome.shared ?? Self.nothingShared))
                return outcome.response
            }
        case .follower(let future):
            return future.hop(to: loop).flatMap { result in
                if case .entry(let meta, let body) = result, self.fits(meta) {
                    return self.loop.makeSucceededFuture(self.respond(meta, body, outcome: .coalesced, revalidated: true))
                }
                return self.fetch(revalidating: nil).map { $0.response }
            }.flatMapError { _ in self.fetch(revalidating: nil).map { $0.response } }
        case .overflow:
            return fetch(revalidating: nil).map { $0.response }
        }
    }

    /// Whether a response stored for another request is the variant this request selects.
    private func fits(_ meta: EntryMetadata) -> Bool {
        guard meta.kind == .originResponse, let names = VaryKey.fieldNames(meta.extraHeaders.values("vary")) else { return false }
        return secondaryKey(names) == meta.variantKey
    }

    private struct Fetched {
        var response: ProxyResponse
        /// What coalesced waiters may use (a stored response), nil when nothing was stored.
        var shared: FillResult?
    }

    /// One upstream GET, conditional on `entry`'s validators when there is one, then the
    /// store decision and the client's answer.
    private func fetch(revalidating entry: Found?, conditional: Bool = true) -> EventLoopFuture<Fetched> {
        var head = request.head
        head.method = .GET
        // The keyed target (normalised path and query), never the client's raw one.
        head.uri = target
        var headers = forwardedHeaders
        if conditional, let entry {
            if let etag = entry.meta.extraHeaders.first("etag") { headers.add(name: "If-None-Match", value: etag) }
            if let modified = entry.meta.extraHeaders.first("last-modified") { headers.add(name: "If-Modified-Since", value: modified) }
        }
        head.headers = headers
        let upstreamHead = head
        let requestTime = now
        let ticket = engine.store.ticket(tags: tags, on: loop).map { Optional($0) }.recover { _ in
            self.engine.metrics.redisErrors.increment()
            return nil
        }
        return ticket.flatMap { ticket in
            self.engine.upstream.execute(UpstreamRequest(head: upstreamHead, body: nil), on: self.loop).flatMap { response in
                self.engine.metrics.upstreamLatency.observe(Double(self.now - requestTime) / 1000)
                return self.handle(response, entry: entry, conditional: conditional, ticket: ticket, requestTime: requestTime)
            }.flatMapError { error in
                if let entry, self.staleIfError(entry) {
                    return self.loop.makeSucceededFuture(Fetched(response: self.respond(entry.meta, entry.body, outcome: .stale, revalidated: false), shared: nil))
                }
                return self.loop.makeSucceededFuture(Fetched(response: self.engine.forwarder.failureResponse(error, request: self.request.head, outcome: .miss), shared: nil))
            }
        }
    }

    private func staleIfError(_ entry: Found) -> Bool {
        let info = Self.freshness(entry.meta)
        let age = AgeCalculation.currentAge(correctedInitialAge: entry.meta.initialAge, responseTime: entry.meta.storedAt, now: now)
        return ReuseDecision.staleIfErrorAllowed(lifetime: info.lifetime.seconds, currentAge: age, response: info.directives, request: requestDirectives)
    }

    private func handle(_ response: UpstreamResponse, entry: Found?, conditional: Bool, ticket: StoreTicket?, requestTime: Int64) -> EventLoopFuture<Fetched> {
        let responseTime = now
        let status = Int(response.head.status.code)
        let incoming = response.head.headers.map { HeaderField(name: $0.name, value: $0.value) }
        if status == 304, let entry {
            guard StoredHeaders.selects(storedETag: entry.meta.extraHeaders.first("etag"), storedLastModified: entry.meta.extraHeaders.first("last-modified"),
                                        etag: incoming.first("etag"), lastModified: incoming.first("last-modified")) else {
                return fetch(revalidating: entry, conditional: false)
            }
            engine.metrics.revalidations.increment()
            let directives = ResponseCacheControl.effective(cacheControl: incoming.values("cache-control"), cdnCacheControl: incoming.values("cdn-cache-control"))
            var meta = entry.meta
            meta.extraHeaders = StoredHeaders.merge(stored: entry.meta.extraHeaders, update: incoming, privateFields: directives.privateFields)
            meta.storedAt = responseTime
            meta.initialAge = AgeCalculation.correctedInitialAge(age: incoming.values("age"), date: incoming.values("date"), requestTime: requestTime, responseTime: responseTime)
            let updated = meta
            let answer = respond(updated, entry.body, outcome: .hit, revalidated: true)
            guard let ticket, !requestDirectives.noStore else { return loop.makeSucceededFuture(Fetched(response: answer, shared: nil)) }
            return write(meta: updated, body: entry.body, key: entry.key, varyNames: nil, ticket: ticket).map { _ in Fetched(response: answer, shared: .entry(updated, body: entry.body)) }
        }
        if let entry, ReuseDecision.isErrorStatus(status), staleIfError(entry) {
            return loop.makeSucceededFuture(Fetched(response: respond(entry.meta, entry.body, outcome: .stale, revalidated: false), shared: nil))
        }
        let directives = ResponseCacheControl.effective(cacheControl: incoming.values("cache-control"), cdnCacheControl: incoming.values("cdn-cache-control"))
        let lifetime = FreshnessLifetime.compute(directives: directives, status: status, expires: incoming.values("expires"), date: incoming.values("date"), lastModified: incoming.values("last-modified"), responseTime: responseTime / 1000)
        let varyNames = VaryKey.fieldNames(incoming.values("vary"))
        let decision = SharedCacheStorability.decide(
            method: "GET", requestHasAuthorization: request.head.headers.contains(name: "authorization"), request: requestDirectives, status: status,
            directives: directives, lifetime: lifetime, hasExpires: !incoming.values("expires").isEmpty,
            hasValidator: incoming.first("etag") != nil || incoming.first("last-modified") != nil,
            varyNames: varyNames, hasSetCookie: incoming.first("set-cookie") != nil
        )
        guard decision == .store, let varyNames, response.body.readableBytes <= engine.configuration.maxCachedObjectBytes,
              let (meta, body) = makeEntry(response, incoming: incoming, directives: directives, varyNames: varyNames, requestTime: requestTime, responseTime: responseTime) else {
            return loop.makeSucceededFuture(Fetched(response: passThrough(response), shared: nil))
        }
        let answer = respond(meta, body, outcome: .miss, revalidated: true)
        guard let ticket else { return loop.makeSucceededFuture(Fetched(response: answer, shared: .entry(meta, body: body))) }
        let key = varyNames.isEmpty ? urlKey : urlKey + ":" + meta.variantKey
        return write(meta: meta, body: body, key: key, varyNames: varyNames, ticket: ticket).map { _ in Fetched(response: answer, shared: .entry(meta, body: body)) }
    }

    /// The response as the origin sent it (hop-by-hop fields removed): not stored.
    private func passThrough(_ response: UpstreamResponse) -> ProxyResponse {
        let cacheStatus = CacheStatus(outcome: .miss, forwardStatus: Int(response.head.status.code)).fieldValue(member: engine.sharedRepresentation.cacheStatusMember)
        return Forwarder.relay(response, to: request.head, outcome: .miss, cacheStatus: cacheStatus)
    }

    private func makeEntry(_ response: UpstreamResponse, incoming: [HeaderField], directives: ResponseCacheControl, varyNames: [String], requestTime: Int64, responseTime: Int64) -> (EntryMetadata, ByteBuffer)? {
        let identity: [UInt8] = response.body.withUnsafeReadableBytes { Array($0) }
        var stored = identity
        var encoding = ContentEncoding.identity
        let coded = incoming.first("content-encoding").map { $0.lowercased() != "identity" } ?? false
        if !coded, identity.count >= engine.configuration.compressionThresholdBytes,
           let compressed = try? Gzip.compress(identity, level: engine.configuration.compressionLevel), compressed.count < identity.count {
            stored = compressed
            encoding = .gzip
        }
        let meta = EntryMetadata(
            status: Int(response.head.status.code), contentType: incoming.first("content-type") ?? "",
            etag: EntryMetadata.etag(forIdentityBody: identity), storedAt: responseTime, ttl: 0,
            encoding: encoding, identityLength: identity.count, tags: tags,
            extraHeaders: StoredHeaders.forStorage(incoming, privateFields: directives.privateFields),
            kind: .originResponse,
            initialAge: AgeCalculation.correctedInitialAge(age: incoming.values("age"), date: incoming.values("date"), requestTime: requestTime, responseTime: responseTime),
            variantKey: secondaryKey(varyNames)
        )
        return (meta, ByteBuffer(bytes: stored))
    }

    /// Stores an entry (and, for a response with Vary, the URL's Vary index) if the ticket is
    /// still current. Store errors are counted and otherwise ignored: the client is answered.
    private func write(meta: EntryMetadata, body: ByteBuffer, key: String, varyNames: [String]?, ticket: StoreTicket) -> EventLoopFuture<Void> {
        let retention = Int64(route.rule.ttl) * 1000
        let ttl = max(1000, retention)
        var writes: [EventLoopFuture<Bool>] = []
        let value = ByteBuffer(bytes: EntryEnvelope.encode(metadata: meta, body: body.readableBytesView))
        writes.append(engine.store.store(key, value: value, ttlMilliseconds: ttl, tags: tags, ticket: ticket, on: loop))
        if let varyNames, !varyNames.isEmpty {
            let index = EntryMetadata(status: meta.status, contentType: "", etag: "", storedAt: meta.storedAt, ttl: 0, identityLength: 0, tags: tags,
                                      extraHeaders: [HeaderField(name: "Vary", value: varyNames.joined(separator: ", "))], kind: .varyIndex)
            writes.append(engine.store.store(urlKey, value: ByteBuffer(bytes: EntryEnvelope.encode(metadata: index, body: [UInt8]())), ttlMilliseconds: ttl, tags: tags, ticket: ticket, on: loop))
        }
        return EventLoopFuture.whenAllComplete(writes, on: loop).map { results in
            for result in results {
                switch result {
                case .success(true): self.engine.metrics.entriesStored.increment()
                case .success(false): self.engine.metrics.storeRefusedStale.increment()
                case .failure: self.engine.metrics.redisErrors.increment()
                }
            }
        }
    }

    /// A stale-while-revalidate refresh, once per URL at a time, in the bounded refresh queue
    /// the configured routes' refreshes use (`FillService`); misses of the URL meanwhile join it.
    private func revalidateInBackground(_ entry: Found) {
        engine.filling.refreshInBackground(RefreshJob(key: urlKey, tags: tags, loop: loop) {
            self.fetch(revalidating: entry).map { $0.shared ?? Self.nothingShared }
        })
    }

    /// What waiters of a fill that stored nothing get: not an entry, so each fetches alone.
    static let nothingShared = FillResult.unshareable(UpstreamResponse(head: HTTPResponseHead(version: .http1_1, status: .ok), body: ByteBuffer()))
}
