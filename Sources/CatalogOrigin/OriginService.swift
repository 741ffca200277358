import CatalogHTTP
import CatalogPostgres
import CatalogRedis
import Logging
import NIOCore
import NIOPosix

/// A running origin: a connection pool plus the HTTP server answering with `OriginResponder`.
///
/// With Redis configured it also serves carts and runs the outbox relay.
///
/// Invariant: `shutdown()` stops accepting requests, then stops the relay, before closing the
/// pool and the Redis client.
public final class OriginService: Sendable {
    public let pool: PostgresPool
    public let server: HTTPServer
    public let storefront: StorefrontConfiguration
    public let relay: OutboxRelay?

    public var localPort: Int { server.localPort }

    private init(pool: PostgresPool, server: HTTPServer, storefront: StorefrontConfiguration, relay: OutboxRelay?) {
        self.pool = pool
        self.server = server
        self.storefront = storefront
        self.relay = relay
    }

    /// Checks the database is reachable (a clear error otherwise), then listens on `host:port`.
    public static func start(
        databaseURL: String, host: String, port: Int, poolSize: Int = 8,
        group: any EventLoopGroup, storefront: StorefrontConfiguration = StorefrontConfiguration(),
        logger: Logger = Logger(label: "catalog-origin")
    ) async throws -> OriginService {
        let pool = PostgresPool(configuration: .init(url: databaseURL, size: poolSize))
        do {
            let applied = try await pool.query("SELECT coalesce(max(version), 0) FROM schema_migrations").scalar
            if Int(applied ?? "0") ?? 0 < (Migrations.all.last?.version ?? 0) { throw NotMigrated() }
        } catch let error as PostgresError where error.sqlState == "42P01" {
            await pool.shutdown()
            throw NotMigrated()
        } catch {
            await pool.shutdown()
            throw error
        }
        let relay = storefront.redis.map { OutboxRelay(pool: pool, redis: $0, configuration: storefront, logger: logger) }
        do {
            let responder = OriginResponder(pool: pool, storefront: storefront, relay: relay, logger: logger)
            let server = try await HTTPServer.start(host: host, port: port, group: group, responder: responder)
            relay?.start()
            return OriginService(pool: pool, server: server, storefront: storefront, relay: relay)
        } catch {
            await pool.shutdown()
            throw error
        }
    }

    public func shutdown() async throws {
        try await server.shutdown()
        await relay?.stop()
        await pool.shutdown()
        await storefront.redis?.shutdown()
    }
}

/// The database lacks the origin schema (or an older version of it).
public struct NotMigrated: Error, CustomStringConvertible {
    public var description: String { "database schema is missing or out of date: run 'catalog-origin migrate' first" }
}
