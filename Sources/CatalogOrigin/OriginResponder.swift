import CatalogHTTP
import CatalogPostgres
import CatalogRedis
import Logging
import NIOHTTP1

/// The origin's `HTTPResponder`: routes `/store`, `/admin` and `/health`, maps errors to JSON.
///
/// Invariants: every outcome is JSON (`{"error","message"}` for failures); database outages are
/// 503 `service_unavailable`; unexpected database errors are 500 and logged, never leaked as
/// SQL; Redis outages are 503 too; every `/admin/*` request needs a bearer token (401 before
/// any routing or body validation), `POST /auth/user/emailpass` issues one.
public struct OriginResponder: HTTPResponder {
    let pool: PostgresPool
    let logger: Logger
    let storefront: StorefrontConfiguration
    let relay: OutboxRelay?

    public init(pool: PostgresPool, storefront: StorefrontConfiguration = StorefrontConfiguration(),
                relay: OutboxRelay? = nil, logger: Logger = Logger(label: "catalog-origin")) {
        self.pool = pool
        self.logger = logger
        self.storefront = storefront
        self.relay = relay
    }

    private var cartStore: CartStore? { storefront.redis.map { CartStore(redis: $0, configuration: storefront) } }

    public func respond(to request: HTTPServerRequest) async -> HTTPServerResponse {
        do {
            return try await route(request)
        } catch let error as APIError {
            return error.response
        } catch let error as PostgresError {
            return map(error, request).response
        } catch let error as RedisError {
            logger.warning("redis unavailable", metadata: ["error": "\(error)"])
            return APIError(.serviceUnavailable, "service_unavailable", "redis unavailable: \(error)").response
        } catch {
            logger.error("unexpected error", metadata: ["path": "\(request.path)", "error": "\(error)"])
            return APIError(.internalServerError, "internal_error", "internal error").response
        }
    }

    private func route(_ request: HTTPServerRequest) async throws -> HTTPServerResponse {
        let parts = Router.segments(request.path)
        switch parts.first {
        case "store" where parts.count >= 2 && parts[1] == "carts":
            guard let store = cartStore else {
                throw APIError(.serviceUnavailable, "service_unavailable", "carts need Redis: start the origin with --redis")
            }
            let checkout = Checkout(pool: pool, store: store, relay: relay, logger: logger)
            return try await CartRoutes(pool: pool, store: store, checkout: checkout).handle(request, parts.dropFirst(2))
        case "store" where parts.count >= 2 && parts[1] == "orders":
            return try await OrderRoutes(pool: pool, relay: relay).store(request, parts.dropFirst(2))
        case "store":
            return try await StoreRoutes(pool: pool).handle(request, parts.dropFirst())
        case "auth" where parts == ["auth", "user", "emailpass"]:
            return try await AdminAuth(pool: pool).login(request)
        case "admin":
            let user = try await AdminAuth(pool: pool).authenticate(request)
            return try await admin(request, parts.dropFirst(), user: user)
        case "health" where parts.count == 1:
            try Router.allow([.GET, .HEAD], request)
            _ = try await pool.query("SELECT 1")
            return .json(.ok, "{\"status\":\"ok\"}")
        default:
            throw APIError.notFound("no route for \(request.method.rawValue) \(request.path)")
        }
    }

    private func admin(_ request: HTTPServerRequest, _ parts: ArraySlice<String>, user: AdminAuth.User) async throws -> HTTPServerResponse {
        switch parts.first {
        case "hero-banners":
            return try await AdminHeroBannerRoutes(pool: pool).handle(request, parts.dropFirst())
        case "products":
            return try await AdminProductRoutes(pool: pool).handle(request, parts.dropFirst())
        case "orders":
            return try await OrderRoutes(pool: pool, relay: relay).admin(request, parts.dropFirst())
        case "users" where Array(parts) == ["users", "me"]:
            try Router.allow([.GET, .HEAD], request)
            return .json(.ok, "{\"user\":\(user.json)}")
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
