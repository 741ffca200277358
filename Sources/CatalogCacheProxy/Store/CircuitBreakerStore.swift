import CatalogCacheCore
import CatalogRedis
import Logging
import NIOCore
import Synchronization

/// The error a call fails with while the breaker is open: no Redis round trip was made.
public struct CircuitOpenError: Error, Sendable, CustomStringConvertible {
    public var description: String { "store circuit open (Redis failing); call not attempted" }
}

/// Settings of a `CircuitBreakerStore`.
public struct CircuitBreakerPolicy: Sendable, Equatable {
    /// Consecutive faults that open the circuit (at least 1).
    public var failureThreshold: Int
    /// How long the circuit stays open before one probe call is let through.
    public var coolDownMilliseconds: Int64

    public init(failureThreshold: Int = 5, coolDownMilliseconds: Int64 = 1000) {
        precondition(failureThreshold >= 1 && coolDownMilliseconds >= 0)
        self.failureThreshold = failureThreshold
        self.coolDownMilliseconds = coolDownMilliseconds
    }
}

/// A `CacheStore` wrapper that stops calling a failing store (Redis) for a while.
///
/// States (the classic breaker):
/// - **closed**: calls go through; `failureThreshold` consecutive faults open it;
/// - **open** until `now + coolDown`: every call fails at once with `CircuitOpenError`,
///   so a dead or hanging Redis costs a request nothing (the serve path fails open to the
///   upstream exactly as it does for any Redis error);
/// - **half-open** after the cool-down: exactly one call (the probe) goes through, the
///   others keep failing fast; the probe's success closes the circuit, its fault reopens
///   it for another cool-down.
///
/// Invariants: while open, the wrapped store is never called by `get`, `ticket`, `store`
/// or `invalidate`; at most one probe is in flight; every transition into open is counted
/// once in `metrics.redisCircuitOpens`. Only faults of availability (timeouts, refused or
/// closed connections, a broken reply stream: see `isFault`) count; an error reply from
/// Redis proves it is up and counts as a success. A timeout while this process's event loop
/// lagged (`RedisError.timedOutWhileLoopLagged`: the proxy was overloaded, so it says nothing
/// about Redis) counts as neither: the consecutive faults stay as they were, and a probe that
/// ends so leaves the circuit open for the next call to probe again (no new opening counted).
/// Such calls are counted in `metrics.redisTimeoutsWhileLagging`. `ping` (readiness) bypasses the breaker,
/// so `/readyz` always reports the store's real state and never moves the breaker.
/// Futures complete on the loop passed in, like the wrapped store's.
public final class CircuitBreakerStore: CacheStore {
    public var kind: String { wrapped.kind }
    public let wrapped: any CacheStore
    private let policy: CircuitBreakerPolicy
    private let clock: any CacheClock
    private let metrics: ProxyMetrics?
    private let logger: Logger?
    private let state = Mutex(State.closed(consecutiveFaults: 0))
    /// True exactly while `state` is `.closed(consecutiveFaults: 0)` (written under the lock):
    /// the healthy case, in which admitting a call and recording a success change nothing, so
    /// they read this flag and take no lock and no clock reading. A call racing a transition
    /// may be admitted or leave the fault count as it was; both are within what a breaker
    /// promises (it counts consecutive faults, not an exact interleaving).
    private let healthy = Atomic<Bool>(true)

    enum State: Equatable {
        case closed(consecutiveFaults: Int)
        case open(untilMilliseconds: Int64)
        case halfOpen
    }

    /// What a call may do.
    private enum Admission { case pass, probe, reject }

    public init(wrapping wrapped: any CacheStore, policy: CircuitBreakerPolicy = CircuitBreakerPolicy(), clock: any CacheClock, metrics: ProxyMetrics? = nil, logger: Logger? = nil) {
        self.wrapped = wrapped
        self.logger = logger
        self.policy = policy
        self.clock = clock
        self.metrics = metrics
    }

    /// "closed", "open" or "half-open" (for tests and logs).
    public var stateName: String {
        switch state.withLock({ $0 }) {
        case .closed: "closed"
        case .open: "open"
        case .halfOpen: "half-open"
        }
    }

    /// Whether `error` says the store is unreachable or unusable (as opposed to an answer).
    public static func isFault(_ error: Error) -> Bool {
        guard let redis = error as? RedisError else { return !(error is CircuitOpenError) }
        switch redis {
        case .timeout, .connectFailed, .connectionClosed, .protocolError, .clusterUnavailable: return true
        case .server, .unexpectedReply, .clientShutdown, .encodingFailed, .crossSlot, .timedOutWhileLoopLagged: return false
        }
    }

    /// Whether `error` is a timeout caused by this process's own lagging loop, which says
    /// nothing about Redis (neither a fault nor a success).
    public static func isLoopLag(_ error: Error) -> Bool {
        (error as? RedisError) == .timedOutWhileLoopLagged
    }

    private func admit() -> Admission {
        if healthy.load(ordering: .relaxed) { return .pass }
        let now = clock.nowMilliseconds()
        return state.withLock { s in
            switch s {
            case .closed: return .pass
            case .halfOpen: return .reject
            case .open(let until):
                guard now >= until else { return .reject }
                s = .halfOpen
                return .probe
            }
        }
    }

    private enum Transition { case none, opened, reopened, closed }

    private func record(fault: Bool, probe: Bool, error: Error? = nil) {
        if !fault && !probe && healthy.load(ordering: .relaxed) { return }
        let now = clock.nowMilliseconds()
        let transition: Transition = state.withLock { s in
            defer { healthy.store(s == .closed(consecutiveFaults: 0), ordering: .relaxed) }
            switch s {
            case .closed(let n):
                guard fault else {
                    s = .closed(consecutiveFaults: 0)
                    return .none
                }
                if n + 1 >= policy.failureThreshold {
                    s = .open(untilMilliseconds: now + policy.coolDownMilliseconds)
                    return .opened
                }
                s = .closed(consecutiveFaults: n + 1)
                return .none
            case .halfOpen:
                // Only the probe's outcome decides; calls admitted before the circuit opened
                // that finish now must not close or reopen it.
                guard probe else { return .none }
                if fault {
                    s = .open(untilMilliseconds: now + policy.coolDownMilliseconds)
                    return .reopened
                }
                s = .closed(consecutiveFaults: 0)
                return .closed
            case .open:
                return .none
            }
        }
        switch transition {
        case .none:
            break
        case .opened, .reopened:
            metrics?.redisCircuitOpens.increment()
            metrics?.redisCircuitOpen.set(1)
            // Reopening after a failed probe happens once per cool-down while Redis is down:
            // logged at debug so a long outage does not flood the log.
            logger?.log(level: transition == .opened ? .error : .debug, "redis circuit breaker opened: store calls fail fast", metadata: [
                "event": "circuit_open", "consecutive_faults": "\(policy.failureThreshold)",
                "cool_down_ms": "\(policy.coolDownMilliseconds)", "error": "\(error.map { "\($0)" } ?? "-")",
            ])
        case .closed:
            metrics?.redisCircuitOpen.set(0)
            logger?.notice("redis circuit breaker closed: a probe succeeded", metadata: ["event": "circuit_closed"])
        }
    }

    /// The probe timed out while the loop lagged: back to open, due at once, so the next call
    /// probes again.
    private func probeUndecided() {
        let now = clock.nowMilliseconds()
        state.withLock { s in
            if s == .halfOpen { s = .open(untilMilliseconds: now) }
        }
    }

    private func guarded<T: Sendable>(on loop: EventLoop, _ call: () -> EventLoopFuture<T>) -> EventLoopFuture<T> {
        let admission = admit()
        if case .reject = admission {
            metrics?.redisShortCircuited.increment()
            return loop.makeFailedFuture(CircuitOpenError())
        }
        let probe = admission == .probe
        let future = call()
        future.whenComplete { result in
            switch result {
            case .success: self.record(fault: false, probe: probe)
            case .failure(let error) where Self.isLoopLag(error):
                self.metrics?.redisTimeoutsWhileLagging.increment()
                if probe { self.probeUndecided() }
            case .failure(let error): self.record(fault: Self.isFault(error), probe: probe, error: error)
            }
        }
        return future
    }

    public func get(_ key: String, on loop: EventLoop) -> EventLoopFuture<ByteBuffer?> {
        guarded(on: loop) { wrapped.get(key, on: loop) }
    }

    public func ticket(tags: [String], on loop: EventLoop) -> EventLoopFuture<StoreTicket> {
        guarded(on: loop) { wrapped.ticket(tags: tags, on: loop) }
    }

    public func ticket(key: String, tags: [String], on loop: EventLoop) -> EventLoopFuture<StoreTicket> {
        guarded(on: loop) { wrapped.ticket(key: key, tags: tags, on: loop) }
    }

    public func store(_ key: String, value: ByteBuffer, ttlMilliseconds: Int64, tags: [String], ticket: StoreTicket, on loop: EventLoop) -> EventLoopFuture<Bool> {
        guarded(on: loop) { wrapped.store(key, value: value, ttlMilliseconds: ttlMilliseconds, tags: tags, ticket: ticket, on: loop) }
    }

    public func invalidate(keys: [String], tags: [String], on loop: EventLoop) -> EventLoopFuture<Int> {
        guarded(on: loop) { wrapped.invalidate(keys: keys, tags: tags, on: loop) }
    }

    public func invalidateEverything(keys: [String], tags: [String], on loop: EventLoop) -> EventLoopFuture<Int> {
        guarded(on: loop) { wrapped.invalidateEverything(keys: keys, tags: tags, on: loop) }
    }

    public func ping(on loop: EventLoop) -> EventLoopFuture<Bool> {
        wrapped.ping(on: loop)
    }

    // The fill lock is forwarded (through the breaker): without these, calls would reach the
    // protocol's defaults, which always grant the lock, and cross-instance single flight would stop.
    public func acquireFillLock(_ key: String, token: String, ttlMilliseconds: Int64, on loop: EventLoop) -> EventLoopFuture<Bool> {
        guarded(on: loop) { wrapped.acquireFillLock(key, token: token, ttlMilliseconds: ttlMilliseconds, on: loop) }
    }

    public func releaseFillLock(_ key: String, token: String, on loop: EventLoop) -> EventLoopFuture<Void> {
        guarded(on: loop) { wrapped.releaseFillLock(key, token: token, on: loop) }
    }

    public func fillLockHolder(_ key: String, on loop: EventLoop) -> EventLoopFuture<String?> {
        guarded(on: loop) { wrapped.fillLockHolder(key, on: loop) }
    }

    /// Not guarded: the subscription has a connection of its own, and a waiter without one polls.
    public func watchFill(_ key: String, on loop: EventLoop, wake: @escaping @Sendable () -> Void) -> EventLoopFuture<FillWakeWatch> {
        wrapped.watchFill(key, on: loop, wake: wake)
    }

    public func shutdown() async {
        await wrapped.shutdown()
    }
}
