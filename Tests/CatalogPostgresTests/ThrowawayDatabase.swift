import CatalogPostgres
import CatalogTestSupport
import Foundation

/// An empty database per test on the PostgreSQL of `CATALOG_TEST_DATABASE_URL` (started by
/// `scripts/services`), dropped afterwards: CatalogPostgres is tested on its own, without the
/// origin's schema.
///
/// Without that variable the suite is disabled, unless `CATALOG_REQUIRE_SERVICES=1`, in which
/// case it runs and fails saying what is missing.
struct ThrowawayDatabase: Sendable {
    static let baseURL = ProcessInfo.processInfo.environment["CATALOG_TEST_DATABASE_URL"]
    /// Trait condition: run when a database is configured or services are required.
    static let enabled = baseURL != nil || ProcessInfo.processInfo.environment["CATALOG_REQUIRE_SERVICES"] == "1"

    struct Missing: Error, CustomStringConvertible {
        var description: String {
            "CATALOG_TEST_DATABASE_URL is not set but CATALOG_REQUIRE_SERVICES=1: start PostgreSQL with scripts/services"
        }
    }

    /// The database's URL, and a pool of 8 connections on it.
    let url: String
    let pool: PostgresPool

    /// Creates `postgres_test_<random>`, runs `body`, drops the database (also when `body` throws).
    static func with<T>(_ body: (ThrowawayDatabase) async throws -> T) async throws -> T {
        guard let baseURL else { throw Missing() }
        let name = "postgres_test_" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        var components = URLComponents(string: baseURL)!
        components.path = "/" + name
        let url = components.string!
        try await offThePool {
            let admin = try PostgresConnection(url: baseURL)
            defer { admin.close() }
            _ = try admin.execute("CREATE DATABASE \(name)")
        }
        let database = ThrowawayDatabase(url: url, pool: PostgresPool(configuration: .init(url: url, size: 8)))
        let drop: @Sendable () async -> Void = {
            await database.pool.shutdown()
            try? await offThePool {
                let admin = try PostgresConnection(url: baseURL)
                defer { admin.close() }
                _ = try admin.execute("DROP DATABASE \(name) WITH (FORCE)")
            }
        }
        do {
            let value = try await body(database)
            await drop()
            return value
        } catch {
            await drop()
            throw error
        }
    }
}
