import CatalogCacheCore
import CatalogPostgres
import Foundation
import Logging
import NIOCore

/// Applies invalidation notifications, in the order they arrive, on the listener's thread.
///
/// For each notification (merged with the others of one read of the feed): the gate closes
/// over its tags and keys (in-flight fills for them stop taking new waiters, again when it
/// opens), the store drops the entries and advances the tags' generations (so fills already
/// running cannot store their older result), the hot tier drops them and advances its epoch,
/// then the gate opens. Only then is the notification counted as applied
/// and the next one handled. The tier goes after the store: a lookup that read the tier's
/// epoch before the tier's step may have been answered by the store before its drop, and
/// the epoch refuses its insert; one that read the epoch after it asked the store after the
/// drop (docs/coherence.md). A drop the store refuses five times is owed
/// (`InvalidationDebts`): the gate stays closed over it until a retry succeeds. Row
/// notifications for unmapped tables are ignored and counted.
public final class InvalidationApplier: Sendable {
    let map: InvalidationMap
    let keyPrefix: String
    let store: any CacheStore
    let gate: InvalidationGate
    let metrics: ProxyMetrics
    let tokens: WriteTokens
    let clock: any CacheClock
    let loop: EventLoop
    let logger: Logger
    /// Every tag without placeholders, of routes and tables: what "everything" means after a reconnect.
    let everyFixedTag: [String]
    let hotTier: HotTier?
    /// Drops the store could not make, retried until it does (their gate stays closed).
    let debts: InvalidationDebts
    /// Told after each drop and each row change (edge purges, admin events); never waited for.
    let observers: [any InvalidationObserver]

    public init(configuration: ProxyConfiguration, store: any CacheStore, gate: InvalidationGate, metrics: ProxyMetrics, tokens: WriteTokens, clock: any CacheClock, loop: EventLoop, logger: Logger, hotTier: HotTier? = nil, observers: [any InvalidationObserver] = []) {
        self.observers = observers
        self.map = configuration.invalidationMap
        self.keyPrefix = configuration.keyPrefix
        self.store = store
        self.gate = gate
        self.metrics = metrics
        self.tokens = tokens
        self.clock = clock
        self.loop = loop
        self.logger = logger
        self.hotTier = hotTier
        self.debts = InvalidationDebts(store: store, gate: gate, metrics: metrics, loop: loop, logger: logger)
        let routeTags = configuration.routes.flatMap(\.tags)
        let tableTags = configuration.tables.flatMap(\.mapping.tags)
        self.everyFixedTag = Array(Set((routeTags + tableTags).filter { !$0.contains("{") })).sorted()
    }

    /// Handles one payload. Blocking: call it from the listener thread, never an event loop.
    public func apply(payload: String) {
        apply(payloads: [payload])
    }

    /// Handles the payloads one read of the feed delivered, in order, merging their
    /// invalidations into one drop (`InvalidationBatch`): a feed that fell behind catches up in
    /// one store round instead of one per notification. The tokens among them are received
    /// after that drop, so each only after every invalidation delivered before it was applied
    /// (and those after it, which costs it nothing: they are already committed, and one drop
    /// for all is one round trip where a drop per token would be one each).
    /// Blocking: call it from the listener thread, never an event loop.
    public func apply(payloads: [String]) {
        let received = ContinuousClock.now
        var batch = InvalidationBatch()
        var tokensRead: [String] = []
        func applyAndConfirm() {
            apply(&batch, received: received)
            for token in tokensRead { tokens.received(token) }
            tokensRead.removeAll()
        }
        for payload in payloads {
            metrics.notificationsReceived.increment()
            let event: InvalidationEvent
            do {
                event = try NotifyPayloadParser.parse(payload)
            } catch {
                metrics.notificationsMalformed.increment()
                logger.warning("invalidation feed: ignored a malformed payload (\(error)): \(payload.prefix(200))")
                continue
            }
            switch event {
            case .token(let token):
                tokensRead.append(token)
            case .row(let table, let op, let ids, let commitTime, _):
                // Observers hear every row change, also of tables only they map (admin events).
                defer { batch.changed(table: table, op: op, ids: ids) }
                guard map.tables[table] != nil else {
                    // Not a table the configuration maps: nothing cached depends on it.
                    metrics.notificationsUnmapped.increment()
                    logger.debug("invalidation feed: ignored a notification for unmapped table \(table)")
                    continue
                }
                if ids.isEmpty {
                    // A table-wide change (TRUNCATE, or one statement over very many rows):
                    // the changed ids are unknown, so every entry goes.
                    logger.info("invalidation feed: table-wide change of \(table)")
                    batch.addRow(tags: everyFixedTag, keys: [], all: true, commitTime: commitTime)
                } else {
                    let set = map.resolve(event)
                    batch.addRow(tags: Array(set.tags).sorted(), keys: set.keys.map { keyPrefix + $0 }.sorted(), all: false, commitTime: commitTime)
                }
            case .explicit(let keys, let tags):
                batch.add(tags: tags, keys: keys.map { keyPrefix + $0 }, all: false)
            }
            if batch.drops >= Self.maxMergedDrops { applyAndConfirm() }
        }
        applyAndConfirm()
    }

    /// At most this many notifications are merged into one drop (bounds one drop's tags).
    public static let maxMergedDrops = 256

    /// Drops what `batch` merged, tells the observers its row changes, records its timings,
    /// and empties it.
    private func apply(_ batch: inout InvalidationBatch, received: ContinuousClock.Instant) {
        guard !batch.isEmpty else { return }
        if batch.dropsSomething { drop(tags: batch.tags, keys: batch.keys, all: batch.all) }
        for row in batch.rows {
            for observer in observers { observer.rowChanged(table: row.table, op: row.op, ids: row.ids) }
        }
        let now = clock.nowMilliseconds() * 1000
        let applied = ContinuousClock.now - received
        let appliedSeconds = Double(applied.components.seconds) + Double(applied.components.attoseconds) / 1e18
        for commitTime in batch.rowCommitTimes {
            metrics.receivedToInvalidated.observe(appliedSeconds)
            if let commitTime { metrics.commitToInvalidated.observe(max(Double(now - commitTime) / 1_000_000, 0)) }
        }
        if batch.drops > 1 { metrics.invalidationsMerged.increment(by: batch.drops - 1) }
        batch = InvalidationBatch()
    }

    /// After a (re)connect: notifications may have been lost, so every fixed tag goes.
    public func invalidateEverything() {
        drop(tags: everyFixedTag, keys: [], all: true)
        logger.info("invalidation feed: invalidated every mapped tag (\(everyFixedTag.count)) after connecting")
    }

    private func drop(tags: [String], keys: [String], all: Bool) {
        guard !tags.isEmpty || !keys.isEmpty || all else { return }
        // Runs last, after the gate opened: consumers hear of a drop only once it is done.
        defer { for observer in observers { observer.dropped(tags: tags, keys: keys, all: all) } }
        gate.begin(tags: tags, keys: keys, all: all)
        var attempt = 0
        while true {
            do {
                // Everything (a reconnect, a primary change): the sequence jumps too, past any
                // ticket a failed-over primary handed out.
                let removed = try store.invalidate(keys: keys, tags: tags, everything: all, on: loop).wait()
                metrics.entriesInvalidated.increment(by: removed)
                metrics.tagsInvalidated.increment(by: tags.count)
                metrics.keysInvalidated.increment(by: keys.count)
                hotTier?.invalidate(tags: tags, keys: keys, all: all)
                gate.end(tags: tags, keys: keys, all: all)
                return
            } catch {
                metrics.redisErrors.increment()
                attempt += 1
                if attempt >= 5 {
                    // The gate stays closed over it until a retry succeeds.
                    logger.error("invalidation feed: could not drop tags \(tags) keys \(keys) from the store, owed until it can: \(error)")
                    hotTier?.invalidate(tags: tags, keys: keys, all: all)
                    debts.owe(.init(tags: tags, keys: keys, all: all))
                    return
                }
                Thread.sleep(forTimeInterval: 0.02 * Double(attempt))
            }
        }
    }
}
