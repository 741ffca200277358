import Foundation
import NIOPosix

/// A fixed-size pool of `PostgresConnection`s whose blocking calls run on a private `NIOThreadPool`.
///
/// Invariants:
/// - At most `size` connections exist; each is used by exactly one thread-pool thread at a time.
/// - Connections are opened lazily. Before each use a connection that libpq reports broken, or
///   that was left inside a transaction, is replaced or rolled back; a statement is never retried.
/// - At most `maxWaiters` callers wait for a connection; beyond that `withConnection` fails fast
///   with `PostgresError.poolUnavailable` instead of queueing without bound.
/// - No libpq call ever runs on the caller's thread (and so never on a NIO event loop).
public final class PostgresPool: Sendable {
    /// Pool settings.
    public struct Configuration: Sendable {
        /// A libpq connection URL (`postgres://user@host:port/db`).
        public var url: String
        /// Number of connections (and of threads that run their statements).
        public var size: Int
        /// Maximum number of callers waiting for a free connection.
        public var maxWaiters: Int
        /// Statements run once on every new connection (for example `SET TIME ZONE 'UTC'`).
        public var setupSQL: String?
        /// Statement texts each connection keeps prepared
        /// (`PostgresConnection.preparedStatementCapacity`); 0 runs every statement unnamed,
        /// as a transaction-pooling PgBouncer before 1.21 requires.
        public var preparedStatements: Int

        public init(
            url: String, size: Int = 8, maxWaiters: Int = 1024, setupSQL: String? = "SET TIME ZONE 'UTC'",
            preparedStatements: Int = 0
        ) {
            self.url = url
            self.size = max(1, size)
            self.maxWaiters = max(0, maxWaiters)
            self.setupSQL = setupSQL
            self.preparedStatements = max(0, preparedStatements)
        }
    }

    public let configuration: Configuration
    private let threads: NIOThreadPool
    private let state: LockedState

    public init(configuration: Configuration) {
        self.configuration = configuration
        self.threads = NIOThreadPool(numberOfThreads: configuration.size)
        self.threads.start()
        self.state = LockedState(slots: (0..<configuration.size).map { _ in Slot() })
    }

    public convenience init(url: String, size: Int = 8) {
        self.init(configuration: Configuration(url: url, size: size))
    }

    /// Callers currently waiting for a connection (for metrics and tests).
    public var waitingCount: Int { state.waitingCount }

    /// Runs `body` with exclusive use of one connection, on a pool thread.
    public func withConnection<T: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        let slot = try await acquire()
        let configuration = self.configuration
        do {
            let value = try await threads.runIfActive { () throws -> T in
                let connection = try slot.prepare(configuration)
                return try body(connection)
            }
            release(slot)
            return value
        } catch {
            release(slot)
            throw error
        }
    }

    /// Runs one parameterised statement on a pooled connection (`PostgresConnection.query`).
    @discardableResult
    public func query(_ sql: String, _ params: [String?] = [], prepared: Bool = true) async throws -> PostgresResult {
        try await withConnection { try $0.query(sql, params, prepared: prepared) }
    }

    /// Runs `body` inside a transaction on a pooled connection.
    public func transaction<T: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        try await withConnection { try $0.transaction(body) }
    }

    /// Fails all waiters and later calls, closes idle connections and stops the threads.
    /// Connections in use are closed when their statement finishes.
    public func shutdown() async {
        let (waiters, idle) = state.close()
        for waiter in waiters { waiter.resume(throwing: PostgresError.poolUnavailable("pool is shut down")) }
        for slot in idle { slot.close() }
        try? await threads.shutdownGracefully()
    }

    private func acquire() async throws -> Slot {
        if let slot = try state.takeIdle(maxWaiters: configuration.maxWaiters, continuation: nil) {
            return slot
        }
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Slot, Error>) in
            do {
                if let slot = try state.takeIdle(maxWaiters: configuration.maxWaiters, continuation: continuation) {
                    continuation.resume(returning: slot)
                }
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }

    private func release(_ slot: Slot) {
        switch state.give(slot) {
        case .handedTo(let waiter): waiter.resume(returning: slot)
        case .pooled: break
        case .closed: slot.close()
        }
    }
}

/// A connection place in the pool; `connection` is touched only by the thread that holds the slot.
private final class Slot: @unchecked Sendable {
    var connection: PostgresConnection?

    /// Returns a healthy, idle connection: connects, reconnects or rolls back as needed.
    func prepare(_ configuration: PostgresPool.Configuration) throws -> PostgresConnection {
        if let c = connection, c.isHealthy {
            if c.isIdle { return c }
            if (try? c.execute("ROLLBACK")) != nil, c.isIdle { return c }
        }
        connection?.close()
        connection = nil
        let fresh = try PostgresConnection(url: configuration.url)
        if let setup = configuration.setupSQL { try fresh.execute(setup) }
        fresh.preparedStatementCapacity = configuration.preparedStatements
        connection = fresh
        return fresh
    }

    func close() {
        connection?.close()
        connection = nil
    }
}

/// The pool's mutable bookkeeping, guarded by one lock.
private final class LockedState: @unchecked Sendable {
    enum GiveOutcome {
        case handedTo(CheckedContinuation<Slot, Error>)
        case pooled
        case closed
    }

    private let lock = NSLock()
    private var idle: [Slot]
    private var waiters: [CheckedContinuation<Slot, Error>] = []
    private var waiterHead = 0
    private var closed = false

    init(slots: [Slot]) { self.idle = slots }

    var waitingCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return waiters.count - waiterHead
    }

    /// Takes an idle slot, or enqueues `continuation` (when given) and returns nil.
    func takeIdle(maxWaiters: Int, continuation: CheckedContinuation<Slot, Error>?) throws -> Slot? {
        lock.lock()
        defer { lock.unlock() }
        if closed { throw PostgresError.poolUnavailable("pool is shut down") }
        if let slot = idle.popLast() { return slot }
        guard let continuation else { return nil }
        if waiters.count - waiterHead >= maxWaiters {
            throw PostgresError.poolUnavailable("too many requests waiting for a database connection")
        }
        waiters.append(continuation)
        return nil
    }

    /// Returns a slot: to the oldest waiter, to the idle list, or tells the caller to close it.
    func give(_ slot: Slot) -> GiveOutcome {
        lock.lock()
        defer { lock.unlock() }
        if closed { return .closed }
        if waiterHead < waiters.count {
            let waiter = waiters[waiterHead]
            waiterHead += 1
            if waiterHead > 64 && waiterHead * 2 > waiters.count {
                waiters.removeFirst(waiterHead)
                waiterHead = 0
            }
            return .handedTo(waiter)
        }
        idle.append(slot)
        return .pooled
    }

    /// Marks the pool closed and hands back everything that must be failed or closed.
    func close() -> ([CheckedContinuation<Slot, Error>], [Slot]) {
        lock.lock()
        defer { lock.unlock() }
        closed = true
        let w = Array(waiters[waiterHead...])
        waiters = []
        waiterHead = 0
        let i = idle
        idle = []
        return (w, i)
    }
}
