import CatalogHTTP
import CatalogPostgres
import Logging
import NIOCore
import NIOPosix

/// A running origin: a connection pool plus the HTTP server answering with `OriginResponder`.
///
/// Invariant: `shutdown()` stops accepting requests before closing the pool.
public final class OriginService: Sendable {
    public let pool: PostgresPool
    public let server: HTTPServer

    public var localPort: Int { server.localPort }

    private init(pool: PostgresPool, server: HTTPServer) {
        self.pool = pool
        self.server = server
    }

    /// Checks the database is reachable (a clear error otherwise), then listens on `host:port`.
    public static func start(
        databaseURL: String, host: String, port: Int, poolSize: Int = 8,
        group: any EventLoopGroup, logger: Logger = Logger(label: "catalog-origin")
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
        do {
            let server = try await HTTPServer.start(
                host: host, port: port, group: group, responder: OriginResponder(pool: pool, logger: logger))
            return OriginService(pool: pool, server: server)
        } catch {
            await pool.shutdown()
            throw error
        }
    }

    public func shutdown() async throws {
        try await server.shutdown()
        await pool.shutdown()
    }
}

/// The database lacks the origin schema (or an older version of it).
public struct NotMigrated: Error, CustomStringConvertible {
    public var description: String { "database schema is missing or out of date: run 'catalog-origin migrate' first" }
}
