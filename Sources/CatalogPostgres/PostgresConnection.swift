import CLibPQ
import Foundation

/// One libpq connection (`PGconn`), used synchronously.
///
/// Invariants:
/// - Every method blocks the calling thread on the network: never call one on a NIO event loop.
/// - The connection is used by one thread at a time. It is `@unchecked Sendable` only so that
///   `PostgresPool` can hand it to the thread that currently owns it; callers must not share it.
/// - Results are text format; parameters are sent as text (`nil` is SQL NULL).
/// - With a statement cache (`preparedStatementCapacity` > 0), `query` prepares each text once
///   per session and only binds it afterwards; `statements` then names exactly what this
///   session holds (a reset empties both).
public final class PostgresConnection: @unchecked Sendable {
    private var conn: OpaquePointer?
    private var statements = PreparedStatementCache(capacity: 0)
    /// Names the session still holds but `statements` no longer maps (a plan the server could
    /// no longer use, found inside a transaction); deallocated by the next `query` outside one.
    private var abandoned: [String] = []

    /// Connects with `PQconnectdb`; accepts `postgres://` / `postgresql://` URLs and key=value strings.
    /// Throws `PostgresError.connect` with libpq's message folded onto one line.
    public init(url: String) throws(PostgresError) {
        guard let c = PQconnectdb(url) else { throw .connect("out of memory") }
        guard PQstatus(c) == CONNECTION_OK else {
            let message = PostgresError.oneLine(String(cString: PQerrorMessage(c)))
            PQfinish(c)
            throw .connect(message)
        }
        self.conn = c
    }

    deinit { close() }

    /// Prepared statements the session holds that are to be deallocated by the next `query`
    /// outside a transaction (for tests and diagnostics).
    public var pendingDeallocations: Int { abandoned.count }

    /// How many statement texts `query` keeps prepared (least recently used evicted first);
    /// 0, the default, runs every statement unnamed. Setting it forgets what was prepared.
    public var preparedStatementCapacity: Int {
        get { statements.capacity }
        set {
            let held = statements.preparedNames
            statements = PreparedStatementCache(capacity: newValue)
            if let c = conn { for name in held { deallocate(c, name) } }
        }
    }

    /// Closes the connection; later calls fail with `PostgresError.connection`.
    public func close() {
        if let c = conn { PQfinish(c) }
        conn = nil
    }

    /// True while libpq reports `CONNECTION_OK`.
    public var isHealthy: Bool {
        guard let c = conn else { return false }
        return PQstatus(c) == CONNECTION_OK
    }

    /// True when the session is idle outside any transaction block.
    public var isIdle: Bool {
        guard let c = conn else { return false }
        return PQtransactionStatus(c) == PQTRANS_IDLE
    }

    /// Re-establishes a broken connection in place (`PQreset`); throws if that fails too.
    public func reset() throws(PostgresError) {
        guard let c = conn else { throw .connection("connection closed") }
        PQreset(c)
        statements.removeAll()
        abandoned = []
        guard PQstatus(c) == CONNECTION_OK else { throw .connect(lastError) }
    }

    /// The socket descriptor (`PQsocket`), -1 when closed; for poll-based LISTEN loops.
    public var socket: Int32 {
        guard let c = conn else { return -1 }
        return PQsocket(c)
    }

    /// The backend process id serving this connection.
    public var backendPID: Int32 {
        guard let c = conn else { return 0 }
        return PQbackendPID(c)
    }

    private var lastError: String {
        guard let c = conn else { return "connection closed" }
        return PostgresError.oneLine(String(cString: PQerrorMessage(c)))
    }

    private func handle() throws(PostgresError) -> OpaquePointer {
        guard let c = conn else { throw .connection("connection closed") }
        return c
    }

    /// Runs one statement with `$1...` text parameters and materialises the result: prepared
    /// once and then bound (`PQprepare`, `PQexecPrepared`) when the statement cache is on and
    /// `prepared` is true, unnamed (`PQexecParams`: parsed and planned for these values) otherwise.
    /// Pass `prepared: false` for a statement whose best plan depends on its values (a filter
    /// on a small category or a large one): PostgreSQL may settle a prepared statement on one
    /// generic plan for all of them.
    ///
    /// A prepared plan the server can no longer use (a table's columns changed under a
    /// `SELECT *`, or the statement is gone) is prepared again and run once more, but only
    /// outside a transaction block, where the failed attempt changed nothing; inside one the
    /// error is thrown and the next use prepares afresh.
    @discardableResult
    public func query(_ sql: String, _ params: [String?] = [], prepared: Bool = true) throws(PostgresError) -> PostgresResult {
        let c = try handle()
        guard prepared else { return try unnamed(c, sql, params) }
        if !abandoned.isEmpty, PQtransactionStatus(c) == PQTRANS_IDLE { deallocateAbandoned(c) }
        let wasIdle = PQtransactionStatus(c) == PQTRANS_IDLE
        do {
            return try run(c, sql, params)
        } catch let error where Self.planIsUnusable(error) && wasIdle {
            return try run(c, sql, params)
        }
    }

    private func run(_ c: OpaquePointer, _ sql: String, _ params: [String?]) throws(PostgresError) -> PostgresResult {
        let name: String
        switch statements.use(sql) {
        case .unnamed:
            return try unnamed(c, sql, params)
        case .execute(let held):
            name = held
        case .prepare(let fresh, let evicting):
            if let evicting { deallocate(c, evicting) }
            do {
                _ = try consume(PQprepare(c, fresh, sql, Int32(params.count), nil))
            } catch {
                statements.forget(sql)
                throw error
            }
            name = fresh
        }
        do {
            return try consume(withCStrings(params) { PQexecPrepared(c, name, Int32(params.count), $0, nil, nil, 0) })
        } catch {
            if Self.planIsUnusable(error), let stale = statements.forget(sql) {
                deallocate(c, stale)
            }
            throw error
        }
    }

    private func unnamed(_ c: OpaquePointer, _ sql: String, _ params: [String?]) throws(PostgresError) -> PostgresResult {
        try consume(withCStrings(params) { PQexecParams(c, sql, Int32(params.count), nil, $0, nil, nil, 0) })
    }

    /// `0A000` "cached plan must not change result type", `26000` "prepared statement does not exist".
    private static func planIsUnusable(_ error: PostgresError) -> Bool {
        error.sqlState == "0A000" || error.sqlState == "26000"
    }

    private func deallocateAbandoned(_ c: OpaquePointer) {
        let names = abandoned
        abandoned = []
        for name in names { deallocate(c, name) }
    }

    /// Deallocates `name` on the server; one it cannot deallocate now (inside a failed
    /// transaction, `25P02`) is kept in `abandoned` for the next `query` outside a transaction.
    /// Any other failure (the statement is already gone, the connection is) keeps nothing.
    private func deallocate(_ c: OpaquePointer, _ name: String) {
        guard let res = PQexec(c, "DEALLOCATE \(name)") else { return }
        defer { PQclear(res) }
        let state = PQresultErrorField(res, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
        if PQresultStatus(res) != PGRES_COMMAND_OK, state == "25P02" { abandoned.append(name) }
    }

    /// Runs a script of one or more `;`-separated statements (`PQexec`), returning the last result.
    @discardableResult
    public func execute(_ sql: String) throws(PostgresError) -> PostgresResult {
        let c = try handle()
        return try consume(PQexec(c, sql))
    }

    /// Streams rows into `COPY ... FROM STDIN` (text format) and returns the number of rows copied.
    ///
    /// Each element of `rows` is one line *without* its trailing newline; build them with
    /// `PostgresCopy.line(_:)`. Data is sent in chunks of about `chunkSize` bytes.
    @discardableResult
    public func copyIn(_ sql: String, rows: some Sequence<String>, chunkSize: Int = 1 << 20) throws(PostgresError) -> Int {
        let c = try handle()
        guard let start = PQexec(c, sql) else { throw .connection(lastError) }
        let status = PQresultStatus(start)
        if status != PGRES_COPY_IN {
            _ = try consume(start)
            throw .connection("statement did not start COPY FROM STDIN")
        }
        PQclear(start)

        var buffer: [UInt8] = []
        buffer.reserveCapacity(chunkSize + 4096)
        var failure: PostgresError? = nil
        func flush() -> Bool {
            if buffer.isEmpty { return true }
            let ok = buffer.withUnsafeBufferPointer { bytes in
                bytes.baseAddress!.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                    PQputCopyData(c, $0, Int32(bytes.count))
                }
            }
            buffer.removeAll(keepingCapacity: true)
            return ok == 1
        }
        for row in rows {
            buffer.append(contentsOf: row.utf8)
            buffer.append(0x0A)
            if buffer.count >= chunkSize, !flush() {
                failure = .connection(lastError)
                break
            }
        }
        if failure == nil, !flush() { failure = .connection(lastError) }
        if let failure {
            _ = PQputCopyEnd(c, "client aborted copy")
            drainResults(c)
            throw failure
        }
        guard PQputCopyEnd(c, nil) == 1 else { throw .connection(lastError) }
        var outcome: PostgresResult? = nil
        var error: PostgresError? = nil
        while let res = PQgetResult(c) {
            do throws(PostgresError) { outcome = try consume(res) } catch let e { if error == nil { error = e } }
        }
        if let error { throw error }
        return outcome?.affectedRows ?? 0
    }

    /// Runs `body` inside BEGIN/COMMIT; any error thrown rolls back and is rethrown.
    ///
    /// A failed ROLLBACK (for example on a broken connection) is ignored: the original error wins.
    public func transaction<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try execute("BEGIN")
        let value: T
        do {
            value = try body(self)
        } catch {
            _ = try? execute("ROLLBACK")
            throw error
        }
        try execute("COMMIT")
        return value
    }

    /// Reads pending input from the socket without blocking (`PQconsumeInput`).
    public func consumeInput() throws(PostgresError) {
        let c = try handle()
        guard PQconsumeInput(c) == 1 else { throw .connection(lastError) }
    }

    /// Notifications received so far (`PQnotifies`), oldest first; call `consumeInput()` before.
    public func notifies() -> [PostgresNotification] {
        guard let c = conn else { return [] }
        var out: [PostgresNotification] = []
        while let n = PQnotifies(c) {
            let note = n.pointee
            out.append(PostgresNotification(
                channel: String(cString: note.relname),
                payload: String(cString: note.extra),
                backendPID: note.be_pid))
            PQfreemem(n)
        }
        return out
    }

    // MARK: - Result handling

    /// Converts a `PGresult` into `PostgresResult` or `PostgresError`, always clearing it.
    private func consume(_ res: OpaquePointer?) throws(PostgresError) -> PostgresResult {
        guard let res else { throw .connection(lastError) }
        defer { PQclear(res) }
        let status = PQresultStatus(res)
        switch status {
        case PGRES_TUPLES_OK, PGRES_SINGLE_TUPLE:
            let nCols = Int(PQnfields(res))
            let nRows = Int(PQntuples(res))
            var columns: [String] = []
            columns.reserveCapacity(nCols)
            for i in 0..<nCols { columns.append(String(cString: PQfname(res, Int32(i)))) }
            var rows: [[String?]] = []
            rows.reserveCapacity(nRows)
            for r in 0..<nRows {
                var row: [String?] = []
                row.reserveCapacity(nCols)
                for col in 0..<nCols {
                    if PQgetisnull(res, Int32(r), Int32(col)) == 1 {
                        row.append(nil)
                    } else {
                        row.append(String(cString: PQgetvalue(res, Int32(r), Int32(col))))
                    }
                }
                rows.append(row)
            }
            return PostgresResult(columns: columns, rows: rows, affectedRows: affected(res))
        case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY, PGRES_COPY_IN, PGRES_COPY_OUT:
            return PostgresResult(columns: [], rows: [], affectedRows: affected(res))
        default:
            let state = PQresultErrorField(res, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            let primary = PQresultErrorField(res, Int32(UInt8(ascii: "M"))).map { String(cString: $0) }
            let detail = PQresultErrorField(res, Int32(UInt8(ascii: "D"))).map { String(cString: $0) }
            var message = primary ?? String(cString: PQresultErrorMessage(res))
            if let detail { message += " (\(detail))" }
            if state == nil && !isHealthy { throw .connection(PostgresError.oneLine(message)) }
            throw .server(sqlState: state, message: PostgresError.oneLine(message))
        }
    }

    private func affected(_ res: OpaquePointer) -> Int {
        Int(String(cString: PQcmdTuples(res))) ?? 0
    }

    private func drainResults(_ c: OpaquePointer) {
        while let res = PQgetResult(c) { PQclear(res) }
    }
}

/// Calls `body` with a C array of NUL-terminated copies of `strings` (NULL for nil), freed afterwards.
private func withCStrings<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    if strings.isEmpty { return body(nil) }
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0)! } }
    defer { for p in copies { free(p) } }
    let constCopies = copies.map { UnsafePointer($0) }
    return constCopies.withUnsafeBufferPointer { body($0.baseAddress) }
}
