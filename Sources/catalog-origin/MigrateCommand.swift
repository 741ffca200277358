import ArgumentParser
import CatalogOrigin
import CatalogPostgres
import Foundation

/// `catalog-origin migrate`: applies pending schema migrations (idempotent).
struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Create or upgrade the schema (safe to run repeatedly).")

    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let conn = try PostgresConnection(url: database.resolvedURL())
        let applied = try Migrator.migrate(conn)
        let message = applied.isEmpty
            ? "migrate: schema is up to date"
            : "migrate: applied \(applied.map(String.init).joined(separator: ", "))"
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}
