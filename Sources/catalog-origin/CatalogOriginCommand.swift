import ArgumentParser

/// Root command: the reference catalog service the cache proxy is tested against.
struct CatalogOriginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog-origin",
        abstract: "Reference Medusa-style catalog service (store + admin API) over PostgreSQL.",
        discussion: """
            Every command takes --database-url (a postgres:// URL); when absent, the DATABASE_URL \
            environment variable is used. Errors are one line on stderr with exit status 1.

            Store API (GET, HEAD): /store/products[?handle=], /store/products/{id}, /store/hero-banners, \
            /store/regions[/{id}], /store/collections[/{id}], /store/product-categories[/{id}], \
            /store/orders/{id}; region_id and fields accepted, other query parameters are 400.
            Carts (with serve --redis): POST /store/carts, GET /store/carts/{id}, POST \
            /store/carts/{id}/line-items, POST|DELETE /store/carts/{id}/line-items/{line_id}, POST \
            /store/carts/{id}/complete.
            Admin API (Authorization: Bearer <token> from POST /auth/user/emailpass): GET /admin/users/me, \
            POST /admin/hero-banners, PATCH|POST|DELETE /admin/hero-banners/{id}, POST|PATCH \
            /admin/hero-banners/batch, POST /admin/products, GET|PATCH|POST|DELETE /admin/products/{id}, \
            POST /admin/products/{id}/inventory, GET /admin/orders[/{id}], POST /admin/orders/{id}/status. \
            Also GET /health. See docs/storefront.md.
            """,
        subcommands: [MigrateCommand.self, SeedCommand.self, ServeCommand.self]
    )
}
