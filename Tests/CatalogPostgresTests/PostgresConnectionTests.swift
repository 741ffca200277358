import CatalogTestSupport
import CatalogPostgres
import Foundation
import Testing

@Suite("CatalogPostgres", .enabled(if: ThrowawayDatabase.enabled))
struct PostgresConnectionTests {
    @Test("connect errors are one line and name the cause")
    func connectError() {
        #expect {
            _ = try PostgresConnection(url: "postgres://postgres@127.0.0.1:1/none")
        } throws: { error in
            guard case .connect(let message)? = error as? PostgresError else { return false }
            return !message.contains("\n") && message.contains("refused")
        }
    }

    @Test("parameters, NULLs, SQLSTATE, COPY escaping and transactions")
    func basics() async throws {
        try await ThrowawayDatabase.with { env in
            try await env.pool.withConnection { conn in
                let r = try conn.query("SELECT $1::text AS a, $2::text AS b, 42 AS n", ["x'y", nil])
                #expect(r.columns == ["a", "b", "n"] && r.rows == [["x'y", nil, "42"]] && r.int(0, "n") == 42)

                try conn.execute("CREATE TABLE t (id int PRIMARY KEY, s text); CREATE TABLE u (id int REFERENCES t(id))")
                let lines = ["a\tb", "back\\slash", "new\nline", "plain"].enumerated().map { i, s in
                    PostgresCopy.line([String(i), s])
                } + [PostgresCopy.line(["9", nil])]
                #expect(try conn.copyIn("COPY t (id, s) FROM STDIN", rows: lines) == 5)
                #expect(try conn.query("SELECT s FROM t ORDER BY id").rows.map { $0[0] }
                    == ["a\tb", "back\\slash", "new\nline", "plain", nil])

                #expect(throws: PostgresError.self) { try conn.query("INSERT INTO t VALUES (0, 'dup')") }
                do { try conn.query("INSERT INTO t VALUES (0, 'dup')") } catch let error as PostgresError { #expect(error.isUniqueViolation) }
                do { try conn.query("INSERT INTO u VALUES (77)") } catch let error as PostgresError { #expect(error.isForeignKeyViolation) }

                struct Abort: Error {}
                #expect(throws: Abort.self) {
                    try conn.transaction { c in
                        try c.query("DELETE FROM t")
                        throw Abort()
                    }
                }
                #expect(try conn.query("SELECT count(*) FROM t").scalar == "5")
                let deleted = try conn.transaction { try $0.query("DELETE FROM t WHERE id > 2").affectedRows }
                #expect(deleted == 2)
                #expect(PostgresTextArray.literal(["a,b", "\"q\"", ""]) == #"{"a,b","\"q\"",""}"#)
                #expect(try conn.query("SELECT cardinality($1::text[])", [PostgresTextArray.literal(["a,b", "\"q\"", ""])]).scalar == "3")
            }
        }
    }

    @Test("LISTEN/NOTIFY plumbing: socket, consumeInput, notifies")
    func notifications() async throws {
        try await ThrowawayDatabase.with { env in
            let listener = try PostgresConnection(url: env.url)
            try listener.execute("LISTEN catalog_test")
            #expect(listener.socket >= 0)
            try await env.pool.query("SELECT pg_notify('catalog_test', 'hello')")
            var received: [PostgresNotification] = []
            for _ in 0..<100 where received.isEmpty {
                try listener.consumeInput()
                received = listener.notifies()
                if received.isEmpty { try await Task.sleep(nanoseconds: 20_000_000) }
            }
            #expect(received.map(\.payload) == ["hello"] && received.first?.channel == "catalog_test")
        }
    }

    @Test("a connection killed by the server is replaced for the next use, not retried")
    func brokenConnectionReplaced() async throws {
        try await ThrowawayDatabase.with { env in
            let pool = PostgresPool(configuration: .init(url: env.url, size: 1))
            let pid = try await pool.query("SELECT pg_backend_pid()").scalar!
            try await env.pool.query("SELECT pg_terminate_backend($1::int)", [pid])
            // The statement on the dead connection fails; the pool does not retry it.
            await #expect(throws: PostgresError.self) { try await pool.query("SELECT 1") }
            // The next use gets a fresh connection.
            let newPID = try await pool.query("SELECT pg_backend_pid()").scalar!
            #expect(newPID != pid)
            await pool.shutdown()
            await #expect(throws: PostgresError.self) { try await pool.query("SELECT 1") }
        }
    }

    @Test("the wait queue is bounded: excess callers fail fast instead of queueing")
    func boundedQueue() async throws {
        try await ThrowawayDatabase.with { env in
            let pool = PostgresPool(configuration: .init(url: env.url, size: 1, maxWaiters: 2))
            let started = DispatchSemaphore(value: 0)
            let release = DispatchSemaphore(value: 0)
            // Holds the only connection until released (blocking a pool thread, never an event loop).
            let holder = Task {
                try await pool.withConnection { _ in
                    started.signal()
                    release.wait()
                }
            }
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                DispatchQueue.global().async { started.wait(); c.resume() }
            }
            let waiters = (0..<2).map { _ in Task { try await pool.query("SELECT 1").scalar } }
            while pool.waitingCount < 2 { await Task.yield() }
            do {
                try await pool.query("SELECT 1")
                Issue.record("a third waiter should have been refused")
            } catch {
                #expect(error as? PostgresError == .poolUnavailable("too many requests waiting for a database connection"))
            }
            release.signal()
            try await holder.value
            for w in waiters { #expect(try await w.value == "1") }
            await pool.shutdown()
        }
    }
}
