import ArgumentParser

/// Root command: the reference catalog service the cache proxy is tested against.
struct CatalogOriginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog-origin",
        abstract: "Reference Medusa-style catalog service (store + admin API) over PostgreSQL.",
        discussion: """
            Every command takes --database-url (a postgres:// URL); when absent, the DATABASE_URL
            environment variable is used. The admin API (/admin/...) has no authentication: this
            is a reference service for tests, demos and benchmarks only.
            """,
        subcommands: [MigrateCommand.self, SeedCommand.self, ServeCommand.self]
    )
}
