import CatalogCacheCore
import CatalogHTTP
import NIOCore
import NIOHTTP1

/// Requests the cache does not answer (passes and writes) go upstream through here, once.
///
/// Invariants: a request is written upstream at most once (the pool never retries); a write's
/// answer is held until the invalidations it caused are applied (read-your-writes) when a
/// write barrier is set; every upstream failure becomes a 502 or 504 with a JSON body and is
/// counted by kind.
struct Forwarder: Sendable {
    let upstream: UpstreamPool
    let metrics: ProxyMetrics
    let clock: any CacheClock
    /// Holds write answers until their invalidations are applied; nil without a feed.
    let writeBarrier: WriteBarrier?
    /// Upstream failures, logged with their request ids (rate-limited).
    let failures: UpstreamFailureLog
    /// The upstream's health as this instance's requests observe it (`/readyz`).
    let health: UpstreamHealth
    /// This cache's member name in `Cache-Status`.
    let cacheStatusMember: String

    /// Methods whose answers wait for their invalidations (read-your-writes).
    static func isWrite(_ method: HTTPMethod) -> Bool {
        switch method {
        case .GET, .HEAD, .OPTIONS, .TRACE, .CONNECT: return false
        default: return true
        }
    }

    /// Forwards a request that is not served from the cache, exactly once.
    func forward(_ request: ProxyRequest, on loop: EventLoop) -> EventLoopFuture<ProxyResponse> {
        var head = request.head
        head.headers = ForwardingHeaders.forwardedRequestHeaders(head.headers, clientAddress: request.clientAddress)
        let started = clock.nowMilliseconds()
        var answered = upstream.execute(UpstreamRequest(head: head, body: request.body), on: loop)
        answered.whenFailure { [head] in self.failures.record($0, request: head, fill: false) }
        answered.whenComplete { self.health.record($0) }
        if let writeBarrier, Self.isWrite(request.head.method) {
            answered = answered.flatMap { response in writeBarrier.wait(on: loop).map { response } }
        }
        return answered.map { response in
            self.metrics.upstreamLatency.observe(Double(self.clock.nowMilliseconds() - started) / 1000)
            self.metrics.upstreamBytesReceived.increment(by: response.body.readableBytes)
            let cacheStatus = CacheStatus(forward: .bypass, forwardStatus: Int(response.head.status.code)).fieldValue(member: self.cacheStatusMember)
            return Self.relay(response, to: request.head, outcome: .bypass, cacheStatus: cacheStatus, askedWithHead: request.head.method == .HEAD)
        }.flatMapErrorThrowing { error in
            self.failureResponse(error, request: request.head, outcome: .bypass)
        }
    }

    /// The answer to a request whose upstream request failed: 504 for a timeout, else 502.
    func failureResponse(_ error: Error, request: HTTPRequestHead, outcome: CacheOutcome) -> ProxyResponse {
        failureResponse(error, status: (error as? UpstreamError)?.isTimeout ?? false ? 504 : 502, request: request, outcome: outcome)
    }

    /// The answer with `status` (504: the upstream timed out; else 502) to a request whose
    /// upstream request failed with `error`, counted by the error's kind.
    func failureResponse(_ error: Error, status: Int, request: HTTPRequestHead, outcome: CacheOutcome) -> ProxyResponse {
        let upstreamError = error as? UpstreamError
        let timeout = status == 504
        metrics.upstreamErrors.increment(upstreamError.map { Self.label($0) } ?? "other")
        return .error(
            timeout ? .gatewayTimeout : .badGateway,
            code: timeout ? "upstream_timeout" : "upstream_unavailable",
            message: timeout ? "the upstream did not answer in time" : "the upstream could not be reached (\(upstreamError.map { "\($0)" } ?? "\(error)"))",
            outcome: outcome, version: request.version
        )
    }

    /// An upstream answer relayed as it is, not stored: hop-by-hop fields removed, its length
    /// set from the body read (unless it answered a HEAD, whose `Content-Length` describes the
    /// body it did not send), `X-Cache`, this cache's `Cache-Status` member appended to the
    /// upstream's, `defaultCacheControl` when the upstream sent none; no body for a HEAD or a
    /// bodyless status. The one place a response passes through.
    static func relay(_ response: UpstreamResponse, to request: HTTPRequestHead, outcome: CacheOutcome, cacheStatus: String, askedWithHead: Bool = false, defaultCacheControl: String? = nil) -> ProxyResponse {
        var headers = ForwardingHeaders.forwardedResponseHeaders(response.head.headers)
        let bodyless = Self.bodyless(response.head.status)
        if !askedWithHead, !bodyless {
            headers.replaceOrAdd(name: "Content-Length", value: String(response.body.readableBytes))
        }
        headers.replaceOrAdd(name: "X-Cache", value: outcome.xCacheValue)
        headers.replaceOrAdd(name: "Cache-Status", value: CacheStatus.appending(cacheStatus, to: joined(headers, "cache-status")))
        if let defaultCacheControl, !headers.contains(name: "cache-control") {
            headers.add(name: "Cache-Control", value: defaultCacheControl)
        }
        let head = HTTPResponseHead(version: request.version, status: response.head.status, headers: headers)
        return ProxyResponse(head: head, body: request.method == .HEAD || bodyless ? nil : response.body, outcome: outcome)
    }

    /// Every value of the field `name`, joined as one list (nil when absent).
    static func joined(_ headers: HTTPHeaders, _ name: String) -> String? {
        let values = headers[name]
        return values.isEmpty ? nil : values.joined(separator: ", ")
    }

    static func bodyless(_ status: HTTPResponseStatus) -> Bool {
        status == .noContent || status == .notModified || status.code < 200
    }

    /// The `kind` label of an upstream error in `catalog_cache_upstream_errors_total`.
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
}
