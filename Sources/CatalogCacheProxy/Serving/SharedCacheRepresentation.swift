import CatalogCacheCore
import CatalogCompression
import NIOCore
import NIOHTTP1

/// Builds the response for an origin-controlled (RFC 9111) entry: the stored status and
/// header fields as the origin sent them, a recomputed `Age` and `Content-Length`, the
/// stored gzip bytes for gzip clients (with a distinct ETag and `Vary: Accept-Encoding`),
/// and 304 for a client's conditional request that the stored validators satisfy.
///
/// Kept apart from `EntryRepresentation` so the configured routes' hit path is untouched.
struct SharedCacheRepresentation {
    let metrics: ProxyMetrics
    /// This cache's `Cache-Status` member name.
    var cacheStatusMember = "catalog-cache"

    /// - Parameter revalidated: false when the entry is served without contacting the origin,
    ///   in which case the fields of a qualified `no-cache="..."` are left out (RFC 9111 §5.2.2.4).
    func response(meta: EntryMetadata, storedBody: ByteBuffer, outcome: CacheOutcome, request: HTTPRequestHead, now: Int64, revalidated: Bool) -> ProxyResponse {
        var stored = meta.extraHeaders
        if !revalidated {
            let directives = ResponseCacheControl.effective(cacheControl: stored.values("cache-control"), cdnCacheControl: stored.values("cdn-cache-control"))
            stored = stored.removing(Set(directives.noCacheFields))
        }
        var body = storedBody
        var gzipServed = false
        if meta.encoding == .gzip {
            if AcceptEncoding.prefersGzip(request.headers.first(name: "accept-encoding")) {
                gzipServed = true
            } else {
                let inflated: [UInt8]? = storedBody.withUnsafeReadableBytes { try? Gzip.decompress($0, maxOutput: max(meta.identityLength, 1)) }
                guard let inflated else {
                    return .error(.badGateway, code: "corrupt_entry", message: "stored entry could not be decoded", outcome: outcome, version: request.version)
                }
                metrics.inflatesPerRequest.increment()
                body = ByteBuffer(bytes: inflated)
            }
        }
        var headers = HTTPHeaders()
        headers.reserveCapacity(stored.count + 4)
        for field in stored {
            let name = field.name.lowercased()
            if meta.encoding == .gzip && (name == "etag" || name == "vary") { continue }
            headers.add(name: field.name, value: field.value)
        }
        if meta.encoding == .gzip {
            // The gzip bytes are a different representation: their own validator, and Vary.
            if let etag = stored.first("etag") { headers.add(name: "ETag", value: gzipServed ? Self.gzipETag(etag) : etag) }
            var vary = stored.values("vary")
            if !vary.contains(where: { $0.lowercased().contains("accept-encoding") }) { vary.append("Accept-Encoding") }
            headers.add(name: "Vary", value: vary.joined(separator: ", "))
            if gzipServed { headers.add(name: "Content-Encoding", value: "gzip") }
        }
        headers.add(name: "Age", value: AgeCalculation.headerValue(milliseconds: AgeCalculation.currentAge(correctedInitialAge: meta.initialAge, responseTime: meta.storedAt, now: now)))
        headers.add(name: "X-Cache", value: outcome.xCacheValue)
        headers.add(name: "Cache-Status", value: CacheStatus(outcome: outcome).fieldValue(member: cacheStatusMember))

        if meta.status == 200 || meta.status == 203 {
            let inm = request.headers.first(name: "if-none-match")
            let ims = request.headers.first(name: "if-modified-since")
            if ConditionalRequest.isConditional(ifNoneMatch: inm, ifModifiedSince: ims),
               ConditionalRequest.notModified(ifNoneMatch: inm, ifModifiedSince: ims, etag: headers.first(name: "etag"), lastModified: headers.first(name: "last-modified"), date: headers.first(name: "date")) {
                metrics.notModified.increment()
                for name in ["content-length", "content-encoding", "content-type", "content-range"] { headers.remove(name: name) }
                return ProxyResponse(head: HTTPResponseHead(version: request.version, status: .notModified, headers: headers), body: nil, outcome: outcome)
            }
        }
        let status = HTTPResponseStatus(statusCode: meta.status)
        if !Forwarder.bodyless(status) { headers.add(name: "Content-Length", value: String(body.readableBytes)) }
        return ProxyResponse(head: HTTPResponseHead(version: request.version, status: status, headers: headers), body: request.method == .HEAD || Forwarder.bodyless(status) ? nil : body, outcome: outcome)
    }

    /// `"x"` → `"x-gzip"`, `W/"x"` → `W/"x-gzip"`.
    static func gzipETag(_ etag: String) -> String {
        guard etag.hasSuffix("\"") else { return etag }
        return String(etag.dropLast()) + "-gzip\""
    }
}
