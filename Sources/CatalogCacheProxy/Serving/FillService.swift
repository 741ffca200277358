import CatalogCacheCore
import NIOConcurrencyHelpers
import NIOCore

/// Fills of cacheable entries, and the background refreshes of entries served stale.
///
/// Across instances sharing a store, one instance takes a key's fill lock and goes upstream;
/// the others wait for its entry (at most the lock's lifetime), woken by the message its store
/// publishes (a slow timer as the safety net), and fetch themselves only when the lock goes
/// away without a fresh entry (`FillStateMachine`, executed by `FillRunner`).
/// Within an instance, concurrent misses of a key share one fill (`FillCoordinator`).
///
/// Invariant: at most `maxBackgroundRefreshes` refreshes run and `maxQueuedRefreshes` more
/// wait, on every kind of route; a key waits once; a refresh of a key already being filled is
/// not started.
final class FillService: Sendable {
    let fetcher: EntryFetcher
    let lookup: EntryLookup
    let coordinator: FillCoordinator
    let tokens: FillLockTokens
    /// `store.fill_lock_ms`: how long a fill lock lives; 0: fills are not locked.
    let lockMilliseconds: Int
    /// `store.fill_wait_fallback_ms`: how often a fill woken by messages still reads, in case
    /// one was lost.
    let wakeFallbackMilliseconds: Int
    let refreshes: NIOLockedValueBox<RefreshQueue<RefreshJob>>

    init(fetcher: EntryFetcher, lookup: EntryLookup, coordinator: FillCoordinator, tokens: FillLockTokens, lockMilliseconds: Int, wakeFallbackMilliseconds: Int = 1000, refreshes: NIOLockedValueBox<RefreshQueue<RefreshJob>>) {
        self.fetcher = fetcher
        self.lookup = lookup
        self.coordinator = coordinator
        self.tokens = tokens
        self.lockMilliseconds = lockMilliseconds
        self.wakeFallbackMilliseconds = wakeFallbackMilliseconds
        self.refreshes = refreshes
    }

    /// Fetches a cacheable resource (always with GET), stores it when storable and the ticket
    /// is still current, and answers what the waiters should get. Call on `loop`.
    func fill(_ request: ProxyRequest, route: CompiledRoute, key: String, tags: [String], on loop: EventLoop) -> EventLoopFuture<FillResult> {
        FillRunner(request: request, route: route, key: key, tags: tags, context: self, on: loop).run()
    }

    /// Releases the fill lock of `key` held by `token`, then forgets the token (whether the
    /// release arrived or not: a lock still under it is then one left behind).
    func releaseFillLock(_ key: String, token: String, on loop: EventLoop) {
        fetcher.store.releaseFillLock(key, token: token, on: loop).whenComplete { _ in self.tokens.forget(token) }
    }

    /// Refreshes an entry served stale, once per key (followers of a refresh in flight do
    /// nothing): at once when fewer than `maxBackgroundRefreshes` are running, else after the
    /// ones before it (`RefreshQueue`), so a burst of stale entries cannot fill the upstream
    /// pool's queue ahead of client misses, and none is forgotten unless `maxQueuedRefreshes`
    /// are already waiting (then it is skipped and counted; the next request tries again).
    func refreshInBackground(_ request: ProxyRequest, route: CompiledRoute, key: String, tags: [String], on loop: EventLoop) {
        refreshInBackground(RefreshJob(key: key, tags: tags, bodyTagPrefixes: route.bodyTagPrefixes, loop: loop) {
            self.fill(request, route: route, key: key, tags: tags, on: loop)
        })
    }

    /// Runs `job` in the background under the same bounds (an origin-controlled route's
    /// revalidation goes here too).
    func refreshInBackground(_ job: RefreshJob) {
        // The stale answers of a key being refreshed (the common case on a hot key) need
        // nothing: no slot, and no follower's promise from joining the flight.
        guard !coordinator.hasFlight(for: job.key) else { return }
        switch refreshes.withLockedValue({ $0.submit(key: job.key, job: job) }) {
        case .start:
            if !startRefresh(job) { runWaitingRefreshes() }
        case .queued:
            fetcher.metrics.refreshesQueued.increment()
        case .alreadyWaiting:
            break
        case .full:
            fetcher.metrics.refreshesSkipped.increment()
        }
    }

    /// Runs `job` in the slot it was given, on its loop; false (nothing started, the slot
    /// still held) when another fill of the key is running, which refreshes it anyway.
    private func startRefresh(_ job: RefreshJob) -> Bool {
        guard case .leader(let flight) = coordinator.join(key: job.key, tags: job.tags, bodyTagPrefixes: job.bodyTagPrefixes, on: job.loop) else { return false }
        job.run().whenComplete { result in
            self.coordinator.finish(flight, with: result)
            self.runWaitingRefreshes()
        }
        return true
    }

    /// A refresh's slot came free: hands it to the waiting refreshes in order until one
    /// starts (on its own loop) or none is left.
    private func runWaitingRefreshes() {
        while let next = refreshes.withLockedValue({ $0.finish() }) {
            let job = next.job
            guard job.loop.inEventLoop else {
                job.loop.execute { if !self.startRefresh(job) { self.runWaitingRefreshes() } }
                return
            }
            if startRefresh(job) { return }
        }
    }

    /// Forgets the refreshes waiting for a slot (shutdown).
    func dropWaitingRefreshes() {
        refreshes.withLockedValue { $0.removeAllWaiting() }
    }
}

/// A background refresh of the entry under `key`, run on `loop` (the loop of the request that
/// found it stale); its result goes to requests that joined its flight meanwhile.
struct RefreshJob: Sendable {
    let key: String
    let tags: [String]
    /// The entry may also carry tags its body names, starting with these (`FillCoordinator`).
    let bodyTagPrefixes: [String]
    let loop: EventLoop
    let run: @Sendable () -> EventLoopFuture<FillResult>

    init(key: String, tags: [String], bodyTagPrefixes: [String] = [], loop: EventLoop, run: @escaping @Sendable () -> EventLoopFuture<FillResult>) {
        self.key = key
        self.tags = tags
        self.bodyTagPrefixes = bodyTagPrefixes
        self.loop = loop
        self.run = run
    }
}
