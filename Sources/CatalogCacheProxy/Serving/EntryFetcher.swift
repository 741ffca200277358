import CatalogCacheCore
import CatalogCompression
import CatalogHTTP
import NIOCore
import NIOHTTP1

/// One upstream request for a cacheable resource, then its entry: storability decided by the
/// route, the body inflated, tagged and compressed as configured, and stored with the fill's
/// ticket.
///
/// Invariants: the upstream is asked once, always with GET and the fill's headers (hop-by-hop
/// and unkeyed overrides removed); nothing is stored unless the route allows it and the
/// ticket is still current (the store refuses a ticket an invalidation has passed); an entry
/// enters the hot tier only when the store took it and the tier's epoch has not moved since
/// the fill began.
struct EntryFetcher: Sendable {
    let configuration: ProxyConfiguration
    let upstream: UpstreamPool
    let store: any CacheStore
    let hotTier: HotTier?
    let metrics: ProxyMetrics
    let clock: any CacheClock
    let failures: UpstreamFailureLog
    let health: UpstreamHealth

    /// What a fetch produced, and whether its store released the ticket's fill lock.
    struct Fetched: Sendable {
        var result: FillResult
        var lockReleased = false
    }

    /// Fails only when the upstream does (a fill lock named by the ticket is then still held).
    func fetch(_ request: ProxyRequest, route: CompiledRoute, key: String, tags: [String], ticket: StoreTicket?, hotEpoch: UInt64?, on loop: EventLoop) -> EventLoopFuture<Fetched> {
        var head = request.head
        head.method = .GET
        head.headers = ForwardingHeaders.fillRequestHeaders(head.headers, clientAddress: request.clientAddress, keyed: route.rule.varyHeaders)
        let started = clock.nowMilliseconds()
        let answered = upstream.execute(UpstreamRequest(head: head, body: nil), on: loop)
        answered.whenFailure { [head] in self.failures.record($0, request: head, fill: true) }
        answered.whenComplete { self.health.record($0) }
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
}
