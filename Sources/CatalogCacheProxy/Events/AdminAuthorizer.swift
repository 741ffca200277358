import CatalogHTTP
import NIOCore
import NIOHTTP1

/// Asks the upstream whether a subscriber is an admin: `GET <authorization_path>` with the
/// subscriber's `Authorization` and `Cookie` (and nothing else of theirs). The upstream's
/// status is the answer: 2xx streams, anything else is passed on.
struct AdminAuthorizer: Sendable {
    let upstream: UpstreamPool
    let path: String

    /// The credentials kept from the subscriber's request, for the periodic re-check.
    struct Credentials: Sendable {
        var authorization: String?
        var cookie: String?

        init(_ headers: HTTPHeaders) {
            authorization = headers.first(name: "authorization")
            cookie = headers[canonicalForm: "cookie"].isEmpty ? nil : headers[canonicalForm: "cookie"].joined(separator: "; ")
        }
    }

    enum Verdict: Sendable, Equatable {
        case admin
        /// The upstream's refusal (401, 403, ...), passed on to the subscriber.
        case refused(HTTPResponseStatus)
        /// The upstream could not be asked (down, timed out): 502/504.
        case unavailable(HTTPResponseStatus, String)
    }

    func check(_ credentials: Credentials, on loop: EventLoop) -> EventLoopFuture<Verdict> {
        var headers = HTTPHeaders()
        headers.add(name: "Accept", value: "application/json")
        if let authorization = credentials.authorization { headers.add(name: "Authorization", value: authorization) }
        if let cookie = credentials.cookie { headers.add(name: "Cookie", value: cookie) }
        let uri = upstream.endpoint.basePath + path
        return upstream.execute(UpstreamRequest(method: .GET, uri: uri, headers: headers), on: loop).map { response in
            (200..<300).contains(response.head.status.code) ? .admin : .refused(response.head.status)
        }.flatMapErrorThrowing { error in
            let timeout = (error as? UpstreamError)?.isTimeout ?? false
            return .unavailable(timeout ? .gatewayTimeout : .badGateway, "\(error)")
        }
    }
}
