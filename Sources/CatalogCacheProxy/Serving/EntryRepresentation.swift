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
    func serve(
        meta: EntryMetadata, storedBody: ByteBuffer, identityBody: ByteBuffer?, headerValues: EntryHeaderValues? = nil,
        outcome: CacheOutcome, route: CompiledRoute, request: HTTPRequestHead, prefersGzip: Bool, now: Int64
    ) -> ProxyResponse {
        blockResponse(meta: meta, storedBody: storedBody, identityBody: identityBody, prepared: headerValues?.preparedHit, outcome: outcome, route: route, request: request, prefersGzip: prefersGzip, now: now)
            ?? response(meta: meta, storedBody: storedBody, identityBody: identityBody, headerValues: headerValues, outcome: outcome, route: route, request: request, prefersGzip: prefersGzip, now: now)
    }

    func response(
        meta: EntryMetadata, storedBody: ByteBuffer, identityBody: ByteBuffer?, headerValues: EntryHeaderValues? = nil,
        outcome: CacheOutcome, route: CompiledRoute, request: HTTPRequestHead, prefersGzip acceptsGzip: Bool, now: Int64
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
        outcome: CacheOutcome, route: CompiledRoute, request: HTTPRequestHead, prefersGzip: Bool, now: Int64
    ) -> ProxyResponse? {
        let encoding: ContentEncoding = meta.encoding == .gzip && !prefersGzip ? .identity : meta.encoding
        let body = encoding == meta.encoding ? storedBody : identityBody
        guard let body, !request.headers.contains(name: "if-none-match") else { return nil }
        let block: ByteBuffer
        if let prepared, outcome == .hit, prepared.routeIndex == route.index {
            block = prepared.block(for: encoding, of: meta)
        } else {
            guard let made = EntryHeaderBlock.make(meta: meta, route: route, encoding: encoding, contentLength: body.readableBytes, outcome: outcome) else { return nil }
            block = made
        }
        let head = HTTPResponseHead(version: request.version, status: HTTPResponseStatus(statusCode: meta.status))
        var response = ProxyResponse(head: head, body: request.method == .HEAD ? nil : body, outcome: outcome)
        response.preparedHeaders = (block, FreshnessPolicy.age(meta, now: now))
        return response
    }
}
