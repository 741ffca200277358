import CatalogHTTP
import CatalogPostgres
import Logging
import NIOHTTP1

/// The origin's `HTTPResponder`: routes `/store`, `/admin` and `/health`, maps errors to JSON.
///
/// Invariants: every outcome is JSON (`{"error","message"}` for failures); database outages are
/// 503 `service_unavailable`; unexpected database errors are 500 and logged, never leaked as
/// SQL; the admin API has no authentication (this is a reference service for tests and demos).
public struct OriginResponder: HTTPResponder {
    let pool: PostgresPool
    let logger: Logger

    public init(pool: PostgresPool, logger: Logger = Logger(label: "catalog-origin")) {
        self.pool = pool
        self.logger = logger
    }

    public func respond(to request: HTTPServerRequest) async -> HTTPServerResponse {
        do {
            return try await route(request)
        } catch let error as APIError {
            return error.response
        } catch let error as PostgresError {
            return map(error, request).response
        } catch {
            logger.error("unexpected error", metadata: ["path": "\(request.path)", "error": "\(error)"])
            return APIError(.internalServerError, "internal_error", "internal error").response
        }
    }

    private func route(_ request: HTTPServerRequest) async throws -> HTTPServerResponse {
        let parts = Router.segments(request.path)
        switch parts.first {
        case "store":
            return try await StoreRoutes(pool: pool).handle(request, parts.dropFirst())
        case "admin" where parts.count >= 2 && parts[1] == "hero-banners":
            return try await AdminHeroBannerRoutes(pool: pool).handle(request, parts.dropFirst(2))
        case "admin" where parts.count >= 2 && parts[1] == "products":
            return try await AdminProductRoutes(pool: pool).handle(request, parts.dropFirst(2))
        case "health" where parts.count == 1:
            try Router.allow([.GET, .HEAD], request)
            _ = try await pool.query("SELECT 1")
            return .json(.ok, "{\"status\":\"ok\"}")
        default:
            throw APIError.notFound("no route for \(request.method.rawValue) \(request.path)")
        }
    }

    private func map(_ error: PostgresError, _ request: HTTPServerRequest) -> APIError {
        switch error {
        case .connect, .connection, .poolUnavailable:
            logger.warning("database unavailable", metadata: ["error": "\(error)"])
            return APIError(.serviceUnavailable, "service_unavailable", "database unavailable: \(error.message)")
        case .server(let state, _):
            switch state {
            case "23505": return .conflict("duplicate value: \(error.message)")
            case "23503": return .invalid("referenced object does not exist: \(error.message)")
            case "23514", "22003", "22P02", "23502": return .invalid(error.message)
            case "57014", "40001", "40P01":
                return APIError(.serviceUnavailable, "service_unavailable", "transient database error, retry")
            default:
                logger.error("database error", metadata: ["path": "\(request.path)", "error": "\(error)"])
                return APIError(.internalServerError, "internal_error", "internal error")
            }
        }
    }
}
