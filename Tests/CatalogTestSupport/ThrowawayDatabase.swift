import CatalogPostgres
import Foundation

/// A database of its own per test on the PostgreSQL of `CATALOG_TEST_DATABASE_URL` (started by
/// `scripts/services`), dropped afterwards, also when the test throws.
///
/// Without that variable the suites using it are disabled, unless `CATALOG_REQUIRE_SERVICES=1`,
/// in which case they run and fail saying what is missing.
public struct ThrowawayDatabase: Sendable {
    public static let baseURL = ProcessInfo.processInfo.environment["CATALOG_TEST_DATABASE_URL"]
    public static let required = ProcessInfo.processInfo.environment["CATALOG_REQUIRE_SERVICES"] == "1"
    /// Trait condition: run when a database is configured or services are required.
    public static let enabled = baseURL != nil || required

    public struct Missing: Error, CustomStringConvertible {
        public init() {}
        public var description: String {
            "CATALOG_TEST_DATABASE_URL is not set but CATALOG_REQUIRE_SERVICES=1: start PostgreSQL with scripts/services"
        }
    }

    /// The database's URL, and a pool of 8 connections on it.
    public let url: String
    public let pool: PostgresPool

    /// Creates `<prefix><random>`, runs `prepare` on one connection to it (a schema, seed
    /// rows), then `body`; drops the database whatever happens. The database starts empty.
    public static func with<T>(
        prefix: String = "postgres_test_", prepare: @escaping @Sendable (PostgresConnection) throws -> Void = { _ in },
        _ body: (ThrowawayDatabase) async throws -> T
    ) async throws -> T {
        guard let baseURL else { throw Missing() }
        let name = prefix + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        var components = URLComponents(string: baseURL)!
        components.path = "/" + name
        let url = components.string!
        let drop: @Sendable () async -> Void = {
            try? await offThePool {
                let admin = try PostgresConnection(url: baseURL)
                defer { admin.close() }
                _ = try admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            }
        }
        do {
            try await offThePool {
                let admin = try PostgresConnection(url: baseURL)
                defer { admin.close() }
                _ = try admin.execute("CREATE DATABASE \(name)")
                let setup = try PostgresConnection(url: url)
                defer { setup.close() }
                try prepare(setup)
            }
        } catch {
            await drop()
            throw error
        }
        let database = ThrowawayDatabase(url: url, pool: PostgresPool(configuration: .init(url: url, size: 8)))
        do {
            let value = try await body(database)
            await database.pool.shutdown()
            await drop()
            return value
        } catch {
            await database.pool.shutdown()
            await drop()
            throw error
        }
    }
}
