import CatalogTestSupport
import CatalogPostgres
import Testing

@Suite("Prepared statement cache")
struct PreparedStatementCacheTests {
    @Test("a text is prepared once, the least recently used is evicted, names are never reused")
    func lru() {
        var cache = PreparedStatementCache(capacity: 2)
        #expect(cache.use("A") == .prepare(name: "s1", evicting: nil))
        #expect(cache.use("A") == .execute(name: "s1"))
        #expect(cache.use("B") == .prepare(name: "s2", evicting: nil))
        #expect(cache.use("A") == .execute(name: "s1"))
        #expect(cache.use("C") == .prepare(name: "s3", evicting: "s2"))
        #expect(cache.count == 2 && Set(cache.preparedNames) == ["s1", "s3"])
        #expect(cache.forget("A") == "s1" && cache.forget("A") == nil)
        #expect(cache.use("A") == .prepare(name: "s4", evicting: nil))
        cache.removeAll()
        #expect(cache.count == 0 && cache.use("C") == .prepare(name: "s5", evicting: nil))
    }

    @Test("capacity 0 runs everything unnamed")
    func off() {
        var cache = PreparedStatementCache(capacity: 0)
        #expect(cache.use("A") == .unnamed && cache.use("A") == .unnamed && cache.count == 0)
    }
}

@Suite("CatalogPostgres: prepared statements", .enabled(if: ThrowawayDatabase.enabled))
struct PreparedStatementSessionTests {
    /// The texts the session holds prepared, read by the simple protocol (which prepares nothing).
    private static func held(_ conn: PostgresConnection) throws -> [String] {
        try conn.execute("SELECT statement FROM pg_prepared_statements ORDER BY statement").rows.compactMap { $0[0] }
    }

    /// One connection to a scratch database with a statement cache of `capacity`.
    private static func session(capacity: Int, _ body: (PostgresConnection) throws -> Void) async throws {
        try await ThrowawayDatabase.with { env in
            let conn = try PostgresConnection(url: env.url)
            defer { conn.close() }
            conn.preparedStatementCapacity = capacity
            try body(conn)
        }
    }

    @Test("each text is prepared once per session; an evicted one is deallocated on the server")
    func preparedOncePerSessionAndBounded() async throws {
        try await Self.session(capacity: 2) { conn in
            for n in 1...3 { #expect(try conn.query("SELECT $1::int + 1", [String(n)]).scalar == String(n + 1)) }
            #expect(try Self.held(conn) == ["SELECT $1::int + 1"])
            #expect(try conn.query("SELECT $1::int + 9", ["1"], prepared: false).scalar == "10")
            #expect(try Self.held(conn) == ["SELECT $1::int + 1"])
            try conn.query("SELECT $1::int + 2", ["1"])
            try conn.query("SELECT $1::int + 1", ["1"])
            try conn.query("SELECT $1::int + 3", ["1"])
            #expect(try Self.held(conn) == ["SELECT $1::int + 1", "SELECT $1::int + 3"])

            #expect(throws: PostgresError.self) { try conn.query("SELEC 1") }
            #expect(try Self.held(conn) == ["SELECT $1::int + 3"])
            #expect(try conn.query("SELECT $1::int + 3", ["1"]).scalar == "4")

            conn.preparedStatementCapacity = 0
            try conn.query("SELECT $1::int + 1", ["1"])
            #expect(try Self.held(conn).isEmpty)
        }
    }

    @Test("a plan the server can no longer use is prepared again outside a transaction, and thrown inside one")
    func unusablePlans() async throws {
        try await Self.session(capacity: 8) { conn in
            try conn.execute("CREATE TABLE t (a int); INSERT INTO t VALUES (1)")
            #expect(try conn.query("SELECT * FROM t").columns == ["a"])

            try conn.execute("ALTER TABLE t ADD COLUMN b int")
            #expect(try conn.query("SELECT * FROM t").columns == ["a", "b"])

            try conn.execute("ALTER TABLE t ADD COLUMN c int")
            #expect { try conn.transaction { try $0.query("SELECT * FROM t") } } throws: { error in
                (error as? PostgresError)?.sqlState == "0A000"
            }
            #expect(conn.pendingDeallocations == 1)
            #expect(try conn.query("SELECT * FROM t").columns == ["a", "b", "c"])
            #expect(try Self.held(conn) == ["SELECT * FROM t"] && conn.pendingDeallocations == 0)

            try conn.execute("DEALLOCATE ALL")
            #expect(try conn.query("SELECT * FROM t").rows.count == 1)
            #expect(try Self.held(conn) == ["SELECT * FROM t"] && conn.pendingDeallocations == 0)
        }
    }

    @Test("a pool configured with a statement cache gives it to every connection")
    func poolConfiguration() async throws {
        try await ThrowawayDatabase.with { env in
            let pool = PostgresPool(configuration: .init(url: env.url, size: 1, preparedStatements: 4))
            try await pool.query("SELECT $1::text", ["a"])
            try await pool.query("SELECT $1::text", ["b"])
            let held = try await pool.withConnection { try Self.held($0) }
            #expect(held == ["SELECT $1::text"])
            await pool.shutdown()
        }
    }
}
