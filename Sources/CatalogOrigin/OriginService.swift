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

    /// Statement texts each pool connection keeps prepared by default: the origin's statements
    /// are a few dozen shapes, and planning its JSON-building queries anew on every request
    /// costs PostgreSQL more than running them.
    public static let defaultPreparedStatements = 256

    /// The origin's pool: sessions in UTC, each connection keeping `preparedStatements` texts.
    public static func poolConfiguration(
        url: String, size: Int, preparedStatements: Int = defaultPreparedStatements
    ) -> PostgresPool.Configuration {
        .init(url: url, size: size, setupSQL: "SET TIME ZONE 'UTC'", preparedStatements: preparedStatements)
    }

    /// Checks the database is reachable (a clear error otherwise), then listens on `host:port`.
    public static func start(
        databaseURL: String, host: String, port: Int, poolSize: Int = 8,
        preparedStatements: Int = defaultPreparedStatements, group: any EventLoopGroup,
        storefront: StorefrontConfiguration = StorefrontConfiguration(), logger: Logger = Logger(label: "catalog-origin")
    ) async throws -> OriginService {
        let pool = PostgresPool(configuration: poolConfiguration(
            url: databaseURL, size: poolSize, preparedStatements: preparedStatements))
        do {
            // Every known version, not just the highest: versions need not be contiguous.
            let applied = Set(try await pool.query("SELECT version FROM schema_migrations").rows.compactMap { $0[0].flatMap { Int($0) } })
            if !Set(Migrations.all.map(\.version)).isSubset(of: applied) { throw NotMigrated() }
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
