import CatalogCacheCore
import NIOCore
import NIOHTTP1

/// Turns a stored entry into the response one client gets: the stored gzip bytes for gzip
/// clients, the identity body for the others, a 304 when `If-None-Match` matches.
///
/// The hit path does no JSON parsing, no recompression and no inflate: an identity client of
/// a gzip-stored entry is given the identity body by the caller (`CacheEngine.identityBody`);
/// without one (the stored bytes do not inflate) the answer is a 502.
struct EntryRepresentation {
    let metrics: ProxyMetrics

    /// The response to send: written as one header block when it can be (`blockResponse`,
    /// with the tier's prepared blocks when `headerValues` has them), else through
    /// `HTTPHeaders` (`response`: 304s, 502s, fields that cannot be sent).
    /// `cacheStatus`: the `Cache-Status` member when the outcome alone does not tell it
    /// (`cacheStatus(for:meta:now:)` otherwise).
    func serve(
        meta: EntryMetadata, storedBody: ByteBuffer, identityBody: ByteBuffer?, headerValues: EntryHeaderValues? = nil,
        outcome: CacheOutcome, cacheStatus: CacheStatus? = nil, route: CompiledRoute, request: HTTPRequestHead, prefersGzip: Bool, now: Int64
    ) -> ProxyResponse {
        blockResponse(meta: meta, storedBody: storedBody, identityBody: identityBody, prepared: headerValues?.preparedHit, outcome: outcome, cacheStatus: cacheStatus, route: route, request: request, prefersGzip: prefersGzip, now: now)
            ?? response(meta: meta, storedBody: storedBody, identityBody: identityBody, headerValues: headerValues, outcome: outcome, cacheStatus: cacheStatus, route: route, request: request, prefersGzip: prefersGzip, now: now)
    }

    /// The `Cache-Status` of a response from a stored entry with `outcome`: a fresh hit; a
    /// stale entry served while it is refreshed (`hit` with a negative `ttl`); a fill this
    /// request led and stored (`fwd=miss; stored`); one it waited for (`collapsed`).
    static func cacheStatus(for outcome: CacheOutcome, meta: EntryMetadata, now: Int64) -> CacheStatus {
        switch outcome {
        case .hit: return .hit
        case .stale: return CacheStatus(hit: true, ttl: remainingTTL(meta, now: now))
        case .miss: return CacheStatus(forward: .miss, forwardStatus: meta.status, stored: true)
        case .coalesced: return CacheStatus(forward: .miss, collapsed: true)
        case .bypass: return CacheStatus(forward: .bypass, forwardStatus: meta.status)
        case .shed: return CacheStatus(outcome: .shed)
        }
    }

    /// Whole seconds of freshness left, rounded towards the past, so any age at or beyond the
    /// TTL gives a negative value (RFC 9211 §2.5: a negative `ttl` marks a stale response).
    static func remainingTTL(_ meta: EntryMetadata, now: Int64) -> Int64 {
        let (ttlMilliseconds, overflow) = Int64(clamping: meta.ttl).multipliedReportingOverflow(by: 1000)
        let left = (overflow ? .max : ttlMilliseconds) - FreshnessPolicy.ageMilliseconds(meta, now: now)
        return left >= 0 ? left / 1000 : -((-(left + 1)) / 1000) - 1
    }

    func response(
        meta: EntryMetadata, storedBody: ByteBuffer, identityBody: ByteBuffer?, headerValues: EntryHeaderValues? = nil,
        outcome: CacheOutcome, cacheStatus: CacheStatus? = nil, route: CompiledRoute, request: HTTPRequestHead, prefersGzip acceptsGzip: Bool, now: Int64
    ) -> ProxyResponse {
        var encoding = meta.encoding
        var body = storedBody
        if meta.encoding == .gzip && !acceptsGzip {
            guard let identityBody else {
                return .error(.badGateway, code: "corrupt_entry", message: "stored entry could not be decoded", outcome: outcome, version: request.version)
            }
            body = identityBody
            encoding = .identity
        }
        // The tier's values made once, else only the ones this response needs.
        let etag = headerValues?.eTag(for: encoding, of: meta) ?? meta.etagValue(for: encoding)
        var headers = HTTPHeaders()
        headers.reserveCapacity(12)
        headers.add(name: "ETag", value: etag)
        headers.add(name: "Cache-Control", value: route.cacheControl)
        headers.add(name: "Age", value: String(FreshnessPolicy.age(meta, now: now)))
        headers.add(name: "Vary", value: route.vary)
        headers.add(name: "X-Cache", value: outcome.xCacheValue)
        headers.add(name: "Cache-Status", value: route.cacheStatus(cacheStatus ?? Self.cacheStatus(for: outcome, meta: meta, now: now)))
        if let surrogateKey = headerValues?.surrogateKey ?? EntryHeaderValues.surrogateKey(meta.tags) {
            headers.add(name: "Surrogate-Key", value: surrogateKey)
        }
        if let inm = request.headers.first(name: "if-none-match"), EntityTagMatcher.ifNoneMatch(inm, matches: etag) {
            metrics.notModified.increment()
            return ProxyResponse(head: HTTPResponseHead(version: request.version, status: .notModified, headers: headers), body: nil, outcome: outcome)
        }
        headers.add(name: "Content-Type", value: meta.contentType)
        headers.add(name: "Content-Length", value: headerValues?.contentLength(body.readableBytes) ?? String(body.readableBytes))
        if encoding == .gzip { headers.add(name: "Content-Encoding", value: "gzip") }
        for field in meta.extraHeaders { headers.add(name: field.name, value: field.value) }
        let head = HTTPResponseHead(version: request.version, status: HTTPResponseStatus(statusCode: meta.status), headers: headers)
        return ProxyResponse(head: head, body: request.method == .HEAD ? nil : body, outcome: outcome)
    }

    /// The same response as `response(...)`, with its fields written as one header block
    /// (`EntryHeaderBlock`) rather than `HTTPHeaders`: the tier's prepared block for a fresh
    /// hit when given, else one made now for `outcome`. Nil when the general path must
    /// decide: a conditional request (it may answer 304), an identity client of a gzip
    /// entry without its identity body (502), a field that cannot be sent.
    func blockResponse(
        meta: EntryMetadata, storedBody: ByteBuffer, identityBody: ByteBuffer?, prepared: PreparedHitHeaders? = nil,
        outcome: CacheOutcome, cacheStatus: CacheStatus? = nil, route: CompiledRoute, request: HTTPRequestHead, prefersGzip: Bool, now: Int64
    ) -> ProxyResponse? {
        let encoding: ContentEncoding = meta.encoding == .gzip && !prefersGzip ? .identity : meta.encoding
        let body = encoding == meta.encoding ? storedBody : identityBody
        guard let body, !request.headers.contains(name: "if-none-match") else { return nil }
        let block: ByteBuffer
        if let prepared, outcome == .hit, cacheStatus == nil || cacheStatus == .hit, prepared.route === route {
            block = prepared.block(for: encoding, of: meta)
        } else {
            guard let made = EntryHeaderBlock.make(meta: meta, route: route, encoding: encoding, contentLength: body.readableBytes, outcome: outcome, cacheStatus: route.cacheStatus(cacheStatus ?? Self.cacheStatus(for: outcome, meta: meta, now: now))) else { return nil }
            block = made
        }
        let head = HTTPResponseHead(version: request.version, status: HTTPResponseStatus(statusCode: meta.status))
        var response = ProxyResponse(head: head, body: request.method == .HEAD ? nil : body, outcome: outcome)
        response.preparedHeaders = (block, FreshnessPolicy.age(meta, now: now))
        return response
    }
}
