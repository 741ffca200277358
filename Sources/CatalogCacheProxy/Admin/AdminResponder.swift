import CatalogHTTP
import NIOCore
import NIOHTTP1

/// The admin port: `/metrics` (Prometheus text), `/healthz` (process alive), `/readyz`
/// (JSON; 503 when the proxy cannot serve correctly). Never reachable on the proxy port.
struct AdminResponder: HTTPResponder {
    let metrics: ProxyMetrics
    let readiness: ReadinessProbe

    func respond(to request: HTTPServerRequest) async -> HTTPServerResponse {
        guard request.method == .GET || request.method == .HEAD else {
            return .json(.methodNotAllowed, "{\"error\":\"method_not_allowed\",\"message\":\"the admin port answers GET only\"}")
        }
        switch request.path {
        case "/metrics":
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "text/plain; version=0.0.4; charset=utf-8")
            return HTTPServerResponse(status: .ok, headers: headers, body: ByteBuffer(string: metrics.render()))
        case "/healthz":
            return .json(.ok, "{\"status\":\"ok\"}")
        case "/readyz":
            let report = await readiness.check()
            return .json(report.ready ? .ok : .serviceUnavailable, report.json)
        default:
            return .json(.notFound, "{\"error\":\"not_found\",\"message\":\"admin endpoints: /metrics, /healthz, /readyz\"}")
        }
    }
}
