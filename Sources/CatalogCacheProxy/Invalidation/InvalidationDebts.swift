import CatalogCacheCore
import Logging
import NIOCore
import Synchronization

/// Invalidations the store could not apply (Redis down or refusing writes), kept until it
/// does. While one is owed the `InvalidationGate` stays closed over its tags and keys (the
/// applier began it and does not end it), so nothing it covers is served from any tier, and
/// the store drop is retried on `loop` with a growing pause (100 ms doubling to 2 s) until it
/// succeeds; then the gate opens for it. Entries stored meanwhile under its tags are dropped
/// by that same retry, so a fill that fetched the old data cannot outlive it either.
///
/// Invariants: every owed invalidation holds one `gate.begin` that is ended exactly once, when
/// its drop succeeded; at most one retry chain runs at a time; owed invalidations are settled
/// in the order they were recorded.
final class InvalidationDebts: Sendable {
    struct Debt: Sendable {
        var tags: [String]
        var keys: [String]
        var all: Bool
    }

    private let store: any CacheStore
    private let gate: InvalidationGate
    private let metrics: ProxyMetrics
    private let loop: EventLoop
    private let logger: Logger
    private let state = Mutex<(owed: [Debt], settling: Bool)>(([], false))

    init(store: any CacheStore, gate: InvalidationGate, metrics: ProxyMetrics, loop: EventLoop, logger: Logger) {
        self.store = store
        self.gate = gate
        self.metrics = metrics
        self.loop = loop
        self.logger = logger
    }

    /// How many invalidations are owed.
    var count: Int { state.withLock { $0.owed.count } }

    /// Records an invalidation whose gate is held open-ended by the caller, and starts settling.
    func owe(_ debt: Debt) {
        let start = state.withLock { s -> Bool in
            s.owed.append(debt)
            defer { s.settling = true }
            return !s.settling
        }
        metrics.invalidationsOwed.add(1)
        if start { settle(after: .milliseconds(100)) }
    }

    private func settle(after pause: TimeAmount) {
        loop.scheduleTask(in: pause) { self.settleNext(pause: pause) }
    }

    private func settleNext(pause: TimeAmount) {
        guard let debt = state.withLock({ $0.owed.first }) else { return }
        store.invalidate(keys: debt.keys, tags: debt.tags, everything: debt.all, on: loop).whenComplete { result in
            switch result {
            case .success(let removed):
                self.metrics.entriesInvalidated.increment(by: removed)
                self.metrics.tagsInvalidated.increment(by: debt.tags.count)
                self.metrics.keysInvalidated.increment(by: debt.keys.count)
                self.metrics.invalidationsOwed.add(-1)
                self.gate.end(tags: debt.tags, keys: debt.keys, all: debt.all)
                self.logger.info("invalidation feed: settled an owed invalidation (tags \(debt.tags), keys \(debt.keys))")
                let more = self.state.withLock { s -> Bool in
                    s.owed.removeFirst()
                    s.settling = !s.owed.isEmpty
                    return s.settling
                }
                if more { self.loop.execute { self.settleNext(pause: .milliseconds(100)) } }
            case .failure:
                self.metrics.redisErrors.increment()
                self.settle(after: min(pause * 2, .seconds(2)))
            }
        }
    }
}
