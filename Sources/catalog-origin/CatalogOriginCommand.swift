import ArgumentParser

/// Root command: the reference catalog service the cache proxy is tested against.
struct CatalogOriginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog-origin",
        abstract: "Reference Medusa-style catalog service (store + admin API) over PostgreSQL.",
        discussion: """
            Every command takes --database-url (a postgres:// URL); when absent, the DATABASE_URL \
            environment variable is used. Errors are one line on stderr with exit status 1.

            Store API (GET, HEAD): /store/products, /store/products/{id}, /store/hero-banners, \
            /store/regions, /store/collections, /store/product-categories.
            Admin API (JSON bodies): POST /admin/hero-banners, PATCH|POST|DELETE /admin/hero-banners/{id}, \
            POST|PATCH /admin/hero-banners/batch, POST /admin/products, GET|PATCH|POST|DELETE \
            /admin/products/{id}, POST /admin/products/{id}/inventory. Also GET /health.

            The admin API has no authentication: this is a reference service for tests, demos and \
            benchmarks only.
            """,
        subcommands: [MigrateCommand.self, SeedCommand.self, ServeCommand.self]
    )
}
