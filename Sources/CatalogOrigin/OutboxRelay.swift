import CatalogPostgres
import CatalogRedis
import Logging
import NIOConcurrencyHelpers

/// Publishes the `outbox` table to the Redis Stream `<prefix>events`, at least once.
///
/// One round, in one PostgreSQL transaction: take the relay lock (`pg_try_advisory_xact_lock`,
/// so one relay publishes at a time across processes), read the oldest unpublished rows in
/// `id` order, `XADD` them in that order inside one `MULTI`/`EXEC`, then set `published_at`
/// and commit.
///
/// Invariants:
/// - A row is marked only after Redis acknowledged its `XADD`; a relay that dies between the
///   two (or whose commit fails) leaves the rows unpublished and the next round publishes them
///   again: duplicates are possible, loss is not. Each entry carries `outbox_id` so consumers
///   can drop duplicates.
/// - Per order, events are published in commit order: a later event of an order is written by
///   a transaction that locked the order row after the earlier one committed, so it has the
///   larger `id`; rounds publish unpublished rows in `id` order and never skip one.
/// - Blocking work (libpq, waiting for Redis) runs on the database pool's threads.
public final class OutboxRelay: Sendable {
    public static let lockKey = "7301450978"

    let pool: PostgresPool
    let redis: RedisClient
    let configuration: StorefrontConfiguration
    let batchSize: Int
    let pollInterval: Duration
    let logger: Logger
    /// Runs after a batch is in Redis and before it is marked (tests use it to simulate a crash).
    let afterPublish: @Sendable ([Int64]) throws -> Void

    private struct WakeState {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let wake = NIOLockedValueBox(WakeState())
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)

    public init(pool: PostgresPool, redis: RedisClient, configuration: StorefrontConfiguration,
                batchSize: Int = 100, pollInterval: Duration = .milliseconds(200),
                logger: Logger = Logger(label: "catalog-origin.outbox"),
                afterPublish: @escaping @Sendable ([Int64]) throws -> Void = { _ in }) {
        self.pool = pool
        self.redis = redis
        self.configuration = configuration
        self.batchSize = batchSize
        self.pollInterval = pollInterval
        self.logger = logger
        self.afterPublish = afterPublish
    }

    /// Publishes one batch; answers how many rows it marked (0 when none were waiting or
    /// another relay holds the lock).
    @discardableResult
    public func runOnce() async throws -> Int {
        let redis = self.redis
        let configuration = self.configuration
        let batchSize = self.batchSize
        let afterPublish = self.afterPublish
        return try await pool.transaction { conn in
            guard try conn.query("SELECT pg_try_advisory_xact_lock(\(Self.lockKey))").scalar == "t" else { return 0 }
            let rows = try conn.query(
                "SELECT id, event, aggregate_id, payload FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT \(batchSize)").rows
            if rows.isEmpty { return 0 }
            var ids: [Int64] = []
            var commands: [RedisCommand] = []
            for row in rows {
                guard let id = row[0], let event = row[1], let aggregate = row[2], let payload = row[3] else { continue }
                ids.append(Int64(id) ?? 0)
                commands.append(configuration.xadd(event, [("outbox_id", id), ("aggregate_id", aggregate), ("payload", payload)]))
            }
            let replies = try redis.transaction(commands, on: redis.group.any()).wait()
            for case .error(let message) in replies { throw RedisError.server(message) }
            try afterPublish(ids)
            try conn.query("UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])",
                           ["{" + ids.map(String.init).joined(separator: ",") + "}"])
            return ids.count
        }
    }

    /// Starts publishing in the background until `stop()`.
    public func start() {
        let started = Task { [self] in await self.loop() }
        task.withLockedValue { $0 = started }
    }

    /// Stops the background loop and waits for its round in progress.
    public func stop() async {
        let running = task.withLockedValue { t -> Task<Void, Never>? in defer { t = nil }; return t }
        running?.cancel()
        nudge()
        await running?.value
    }

    /// Asks for a round now (after a commit that wrote to the outbox).
    public func nudge() {
        let waiter = wake.withLockedValue { s -> CheckedContinuation<Void, Never>? in
            if let w = s.waiter { s.waiter = nil; return w }
            s.pending = true
            return nil
        }
        waiter?.resume()
    }

    private func loop() async {
        while !Task.isCancelled {
            do {
                if try await runOnce() == batchSize { continue }
            } catch {
                logger.warning("outbox relay round failed; retrying", metadata: ["error": "\(error)"])
            }
            await sleepUntilNudged()
        }
    }

    private func sleepUntilNudged() async {
        let interval = pollInterval
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                try? await Task.sleep(for: interval)
                if !Task.isCancelled { self.nudge() }
            }
            group.addTask {
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    let now = self.wake.withLockedValue { s -> Bool in
                        if s.pending { s.pending = false; return true }
                        s.waiter = c
                        return false
                    }
                    if now { c.resume() }
                }
            }
            await group.next()
            group.cancelAll()
        }
    }
}
