import ArgumentParser
import Foundation

/// `--database-url`, falling back to `DATABASE_URL`; the flag wins over the environment.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: "PostgreSQL URL (postgres://user@host:port/db). Default: $DATABASE_URL.")
    var databaseURL: String?

    /// The URL to use; throws a one-line error when missing or not a postgres URL.
    func resolvedURL() throws -> String {
        guard let url = databaseURL ?? ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty else {
            throw ValidationError("no database URL: pass --database-url or set DATABASE_URL")
        }
        guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://"), URL(string: url)?.host != nil else {
            throw ValidationError("invalid database URL '\(url)': expected postgres://user@host:port/database")
        }
        return url
    }

}
