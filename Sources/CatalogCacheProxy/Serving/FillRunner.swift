import CatalogCacheCore
import NIOCore

/// Executes one fill's `FillStateMachine`: the store reads, the upstream fetch, the wake-up
/// subscription and the fallback timer, and the lock's release, each reported back to the
/// machine.
///
/// Confined to `loop`: every callback is on it (the store's and the fetcher's futures complete
/// on the loop they were asked on), which is why the class can be `@unchecked Sendable`.
/// Its result completes once, when the machine finishes.
final class FillRunner: @unchecked Sendable {
    private var machine: FillStateMachine<FillResult>
    private let request: ProxyRequest
    private let route: CompiledRoute
    private let key: String
    private let tags: [String]
    private let loop: EventLoop
    private let context: FillService
    /// The tier's epoch when the fill began: a later invalidation keeps its entry out.
    private let hotEpoch: UInt64?
    private var ticket: StoreTicket?
    /// The wake-up subscription while waiting for another fill.
    private var watch: FillWakeWatch?
    private var fetched: Result<FillResult, Error>?
    private let promise: EventLoopPromise<FillResult>

    init(request: ProxyRequest, route: CompiledRoute, key: String, tags: [String], context: FillService, on loop: EventLoop) {
        let lockMilliseconds = Int64(context.lockMilliseconds)
        self.machine = FillStateMachine(lockMilliseconds: lockMilliseconds, token: lockMilliseconds > 0 ? context.tokens.make() : nil,
                                        fallbackMilliseconds: Int64(context.wakeFallbackMilliseconds))
        self.request = request
        self.route = route
        self.key = key
        self.tags = tags
        self.loop = loop
        self.context = context
        self.hotEpoch = context.fetcher.hotTier?.epoch
        self.promise = loop.makePromise(of: FillResult.self)
    }

    func run() -> EventLoopFuture<FillResult> {
        perform(machine.start())
        return promise.futureResult
    }

    private var store: any CacheStore { context.fetcher.store }

    /// A wake-up for the key (on `loop`): the machine reads at once if asleep.
    private func woken() {
        guard let next = machine.wake() else { return }
        context.fetcher.metrics.fillWaitWakes.increment()
        perform(next)
    }
    private var now: Int64 { context.fetcher.clock.nowMilliseconds() }

    private func perform(_ action: FillStateMachine<FillResult>.Action) {
        switch action {
        case .readTicket(let token):
            let ticketRead = store.ticket(key: key, tags: tags, on: loop).map { Optional($0) }.recover { _ in
                self.context.fetcher.metrics.redisErrors.increment()
                return nil
            }
            // A lock that cannot be asked for is taken as ours: fail open to the upstream.
            let lockTaken = token.map { store.acquireFillLock(key, token: $0, ttlMilliseconds: machine.lockMilliseconds, on: loop).recover { _ in true } }
                ?? loop.makeSucceededFuture(false)
            ticketRead.and(lockTaken).whenSuccess { ticket, taken in
                self.ticket = ticket
                self.perform(self.machine.ticketRead(entry: self.context.lookup.freshEntry(ticket?.entry, key: self.key, route: self.route), lockTaken: taken))
            }

        case .fetch(let holdingLock, let leftBehind):
            if leftBehind { context.fetcher.metrics.fillLocksLeftBehind.increment() }
            var ticket = self.ticket
            ticket?.fillLockToken = holdingLock
            context.fetcher.fetch(request, route: route, key: key, tags: tags, ticket: ticket, hotEpoch: hotEpoch, on: loop).whenComplete { result in
                switch result {
                case .success(let fetched):
                    self.fetched = .success(fetched.result)
                    self.perform(self.machine.fetchFinished(failed: false, lockReleasedByStore: fetched.lockReleased))
                case .failure(let error):
                    self.fetched = .failure(error)
                    self.perform(self.machine.fetchFinished(failed: true, lockReleasedByStore: false))
                }
            }

        case .readLockHolder:
            store.fillLockHolder(key, on: loop).recover { _ in nil }.whenSuccess { holder in
                self.perform(self.machine.holderRead(ownLeftover: holder.map(self.context.tokens.isLeftBehind) ?? false, now: self.now))
            }

        case .watchForWake:
            store.watchFill(key, on: loop) { self.woken() }.whenComplete { result in
                let watch = (try? result.get()) ?? .inactive
                self.watch = watch
                self.perform(self.machine.watchStarted(active: watch.live))
            }

        case .readPeerEntry(let firstOfWait):
            if firstOfWait { context.fetcher.metrics.fillLockWaits.increment() }
            context.fetcher.metrics.fillWaitReads.increment()
            store.get(key, on: loop).whenComplete { result in
                switch result {
                case .success(let buffer):
                    self.perform(self.machine.peerEntryRead(entry: self.context.lookup.freshEntry(buffer, key: self.key, route: self.route), now: self.now))
                case .failure:
                    self.perform(self.machine.peerEntryRead(entry: nil, failed: true, now: self.now))
                }
            }

        case .readWaitingHolder:
            context.fetcher.metrics.fillWaitReads.increment()
            store.fillLockHolder(key, on: loop).whenComplete { result in
                switch result {
                case .success(let holder): self.perform(self.machine.waitingHolderRead(held: holder != nil, now: self.now))
                case .failure: self.perform(self.machine.waitingHolderRead(held: false, failed: true, now: self.now))
                }
            }

        case .schedulePoll(let milliseconds, let timer):
            // A wake outrunning this timer makes it stale: the machine then ignores it.
            loop.scheduleTask(in: .milliseconds(milliseconds)) {
                guard let next = self.machine.pollDue(timer: timer) else { return }
                self.context.fetcher.metrics.fillWaitPolls.increment()
                self.perform(next)
            }

        case .finish(let outcome, let lock, let stopWatching):
            if stopWatching { watch?.cancel() }
            switch lock {
            case .release(let token): context.releaseFillLock(key, token: token, on: loop)
            case .forget(let token): context.tokens.forget(token)
            case .none: break
            }
            switch outcome {
            case .peer(let entry): promise.succeed(entry)
            case .fetched, .failed:
                guard let fetched else { preconditionFailure("finished a fetch without its result") }
                promise.completeWith(fetched)
            }
        }
    }
}
