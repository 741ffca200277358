import CatalogPostgres

/// Applies `Migrations.all` to a database.
///
/// Invariants: an advisory lock serialises concurrent migrators; each pending migration and its
/// `schema_migrations` row commit together, so a crash never records a half-applied migration.
public enum Migrator {
    static let lockKey = "7301450977"

    /// Applies pending migrations; returns the versions applied by this call (empty when up to date).
    @discardableResult
    public static func migrate(_ conn: PostgresConnection) throws -> [Int] {
        try conn.execute("SET client_min_messages TO warning")
        try conn.execute("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version integer PRIMARY KEY,
                name text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """)
        var applied: [Int] = []
        for migration in Migrations.all {
            let ran: Bool = try conn.transaction { c in
                try c.query("SELECT pg_advisory_xact_lock(\(lockKey))")
                let done = try c.query("SELECT 1 FROM schema_migrations WHERE version = $1", [String(migration.version)])
                if !done.isEmpty { return false }
                try c.execute(migration.sql)
                try c.query(
                    "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                    [String(migration.version), migration.name])
                return true
            }
            if ran { applied.append(migration.version) }
        }
        return applied
    }

    /// Versions recorded in `schema_migrations`, ascending.
    public static func appliedVersions(_ conn: PostgresConnection) throws -> [Int] {
        try conn.query("SELECT version FROM schema_migrations ORDER BY version").rows.compactMap { $0[0].flatMap { Int($0) } }
    }
}
