import CatalogCacheCore
import NIOCore

/// Executes one fill's `FillStateMachine`: the store reads, the upstream fetch, the poll
/// timer and the lock's release, each reported back to the machine.
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
    private var fetched: Result<FillResult, Error>?
    private let promise: EventLoopPromise<FillResult>

    init(request: ProxyRequest, route: CompiledRoute, key: String, tags: [String], context: FillService, on loop: EventLoop) {
        let lockMilliseconds = Int64(context.lockMilliseconds)
        self.machine = FillStateMachine(lockMilliseconds: lockMilliseconds, token: lockMilliseconds > 0 ? context.tokens.make() : nil)
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

        case .readPeerEntry(let firstOfWait):
            if firstOfWait { context.fetcher.metrics.fillLockWaits.increment() }
            store.get(key, on: loop).whenComplete { result in
                switch result {
                case .success(let buffer):
                    self.perform(self.machine.peerEntryRead(entry: self.context.lookup.freshEntry(buffer, key: self.key, route: self.route), now: self.now))
                case .failure:
                    self.perform(self.machine.peerEntryRead(entry: nil, failed: true, now: self.now))
                }
            }

        case .readWaitingHolder:
            store.fillLockHolder(key, on: loop).whenComplete { result in
                switch result {
                case .success(let holder): self.perform(self.machine.waitingHolderRead(held: holder != nil))
                case .failure: self.perform(self.machine.waitingHolderRead(held: false, failed: true))
                }
            }

        case .schedulePoll(let milliseconds):
            loop.scheduleTask(in: .milliseconds(milliseconds)) { self.perform(self.machine.pollDue()) }

        case .finish(let outcome, let lock):
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
