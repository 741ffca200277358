import CatalogHTTP
import Foundation
import Testing

/// A row's `updated_at` follows the order in which its writes commit, also when a write waits
/// for another's row lock: a reader comparing two versions of a product (the flash-sale
/// checker, a client's conditional request) must never take the later one for the older.
@Suite("Origin: updated_at in commit order", .enabled(if: TestDatabase.enabled), .serialized)
struct UpdatedAtOrderTests {
    /// psql in one transaction, fed statement by statement, its answers read line by line.
    final class HeldTransaction {
        let process = Process()
        let input = Pipe()
        let output = Pipe()

        init(url: String) throws {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["psql", url, "-qAt", "-v", "ON_ERROR_STOP=1"]
            process.standardInput = input
            process.standardOutput = output
            try process.run()
        }

        func send(_ sql: String) {
            input.fileHandleForWriting.write(Data((sql + "\n").utf8))
        }

        /// The next line psql prints.
        func readLine() -> String {
            var line = Data()
            while true {
                let byte = output.fileHandleForReading.readData(ofLength: 1)
                if byte.isEmpty || byte == Data("\n".utf8) { return String(decoding: line, as: UTF8.self) }
                line.append(byte)
            }
        }

        func finish() {
            input.fileHandleForWriting.closeFile()
            process.waitUntilExit()
        }
    }

    @Test("a write that waited for another's row lock carries the later updated_at",
          arguments: [("PATCH", #"{"title":"After the wait"}"#), ("POST", #"{"delta":-1,"reason":"sale"}"#)])
    func waitingWriteIsLater(method: String, body: String) async throws {
        try await TestDatabase.with(seed: 5) { env in
            let id = try await env.scalar("SELECT id FROM product ORDER BY id LIMIT 1")!
            try await env.pool.query("UPDATE product SET stock = 100 WHERE id = $1", [id])
            let held = try HeldTransaction(url: env.url)
            defer { held.finish() }
            held.send("BEGIN; SELECT 1 FROM product WHERE id = '\(id)' FOR UPDATE;")
            #expect(held.readLine() == "1")

            // The origin's write starts now and waits for the lock held above.
            let path = method == "PATCH" ? "/admin/products/\(id)" : "/admin/products/\(id)/inventory"
            let write = Task { await env.send(method == "PATCH" ? .PATCH : .POST, path, body: body) }
            var waiting = 0
            for _ in 0..<600 where waiting == 0 {
                waiting = try await env.count("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE product%'")
                if waiting == 0 { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(waiting == 1, "the origin's write never waited for the row lock")

            // The lock holder writes and commits first; the waiting write commits after it.
            held.send("UPDATE product SET title = 'Held', updated_at = clock_timestamp() WHERE id = '\(id)' RETURNING extract(epoch FROM updated_at)::numeric(20,6);")
            let first = try #require(Double(held.readLine()))
            held.send("COMMIT;")
            let answer = await write.value
            #expect(answer.status == .ok, "\(answer.text)")
            let second = try #require(try await env.scalar("SELECT extract(epoch FROM updated_at)::numeric(20,6) FROM product WHERE id = $1", [id]).flatMap(Double.init))
            #expect(second > first, "the write committed second carries updated_at \(second), not after the first's \(first)")
        }
    }
}
