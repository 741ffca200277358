import ArgumentParser
import CatalogOrigin
import CatalogPostgres
import Foundation

/// `catalog-origin seed`: migrates, then fills the catalog deterministically via COPY.
struct SeedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Migrate, then load a deterministic catalog (same --products, same rows).",
        discussion: """
            Refuses a database that already holds catalog data unless --reset is given; --reset \
            truncates every catalog table (products, variants, inventory movements, categories, \
            collections, regions, hero banners) in the same transaction as the new data. \
            Progress lines go to stderr.
            """)

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Number of products to create.")
    var products: Int = 80_000

    @Flag(help: "Truncate existing catalog data first.")
    var reset = false

    @Option(name: .customLong("admin-email"), help: "Email of the admin user to create (its password is reset if it exists).")
    var adminEmail: String = AdminAccount.defaultEmail

    @Option(name: .customLong("admin-password"), help: "Password of that admin user.")
    var adminPassword: String = AdminAccount.defaultPassword

    func validate() throws {
        guard (0...10_000_000).contains(products) else { throw ValidationError("--products must be between 0 and 10000000") }
        guard adminEmail.contains("@"), adminEmail.count <= 320 else { throw ValidationError("--admin-email must be an email address") }
        guard (8...1000).contains(adminPassword.count) else { throw ValidationError("--admin-password must be 8 to 1000 characters") }
    }

    func run() throws {
        let conn = try PostgresConnection(url: database.resolvedURL())
        let start = Date()
        let admin = AdminAccount(email: adminEmail, password: adminPassword)
        let summary = try CatalogSeeder(products: products, reset: reset, admin: admin).run(conn) { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        let seconds = String(format: "%.2f", Date().timeIntervalSince(start))
        FileHandle.standardError.write(Data("""
            seed: done in \(seconds) s: \(summary.products) products, \(summary.variants) variants, \
            \(summary.categories) categories, \(summary.collections) collections, \(summary.regions) regions, \
            \(summary.heroBanners) hero banners; admin \(adminEmail)

            """.utf8))
    }
}
