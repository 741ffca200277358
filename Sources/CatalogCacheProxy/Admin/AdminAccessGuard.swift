import CatalogCacheCore
import CatalogHTTP
import NIOHTTP1

/// The admin port's front door: every request passes `AdminAccessPolicy` (Host allow-list,
/// bearer token when configured) before the wrapped responder sees it. A refused request
/// gets 403 (`host_not_allowed`) or 401 (`unauthorized`, with `WWW-Authenticate: Bearer`),
/// and is counted in `clientErrors` under that code.
struct AdminAccessGuard: HTTPResponder {
    let policy: AdminAccessPolicy
    let metrics: ProxyMetrics
    let wrapped: any HTTPResponder

    func respond(to request: HTTPServerRequest) async -> HTTPServerResponse {
        let headers = request.headers
        switch policy.decide(hostValues: headers["host"], authorizationValues: headers["authorization"]) {
        case .allow:
            return await wrapped.respond(to: request)
        case .hostNotAllowed:
            metrics.clientErrors.increment("admin_host_not_allowed")
            return .error(.forbidden, code: "host_not_allowed", message: "the admin port does not answer to this Host (admin.allowed_hosts)")
        case .unauthorized:
            metrics.clientErrors.increment("admin_unauthorized")
            var response = HTTPServerResponse.error(.unauthorized, code: "unauthorized", message: "the admin port needs Authorization: Bearer <admin.token>")
            response.headers.add(name: "WWW-Authenticate", value: "Bearer")
            return response
        }
    }
}
