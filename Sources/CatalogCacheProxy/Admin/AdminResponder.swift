import CatalogHTTP
import NIOCore
import NIOHTTP1

/// The admin port: `/` (a live dashboard page), `/stats.json` (what the dashboard and
/// `catalog-cache stat` read), `/metrics` (Prometheus text), `/healthz` and `/livez` (process
/// alive), `/readyz` (JSON; 503 when the proxy cannot serve correctly, or while draining),
/// `POST /reload` (same as SIGHUP). Never reachable on the proxy port.
struct AdminResponder: HTTPResponder {
    let metrics: ProxyMetrics
    let readiness: ReadinessProbe
    let stats: StatsReport
    /// `POST /reload`'s target (nil: not offered).
    var reload: ServiceReference? = nil

    static let endpoints = "admin endpoints: /, /stats.json, /metrics, /healthz, /livez, /readyz, POST /reload"

    func respond(to request: HTTPServerRequest) async -> HTTPServerResponse {
        if request.method == .POST, request.path == "/reload", let reload {
            // The same as SIGHUP: 200 when applied, 400 when the file was refused.
            guard let report = await reload.reload() else { return .json(.serviceUnavailable, "{\"error\":\"stopping\",\"message\":\"the proxy is stopping\"}") }
            return .json(report.applied ? .ok : .badRequest, report.json)
        }
        guard request.method == .GET || request.method == .HEAD else {
            return .json(.methodNotAllowed, "{\"error\":\"method_not_allowed\",\"message\":\"the admin port answers GET only\"}")
        }
        switch request.path {
        case "/metrics":
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "text/plain; version=0.0.4; charset=utf-8")
            return HTTPServerResponse(status: .ok, headers: headers, body: ByteBuffer(string: metrics.render()))
        case "/healthz", "/livez":
            return .json(.ok, "{\"status\":\"ok\"}")
        case "/readyz":
            let report = await readiness.check()
            return .json(report.ready ? .ok : .serviceUnavailable, report.json)
        case "/stats.json":
            var headers = HTTPHeaders()
            headers.add(name: "Cache-Control", value: "no-store")
            return .json(.ok, stats.json(), headers: headers)
        case "/", "/index.html":
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "text/html; charset=utf-8")
            headers.add(name: "Cache-Control", value: "no-store")
            // The page is self-contained: it may load nothing from anywhere but this port.
            headers.add(name: "Content-Security-Policy", value: "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'")
            return HTTPServerResponse(status: .ok, headers: headers, body: ByteBuffer(string: DashboardPage.html))
        default:
            return .json(.notFound, "{\"error\":\"not_found\",\"message\":\"\(Self.endpoints)\"}")
        }
    }
}
