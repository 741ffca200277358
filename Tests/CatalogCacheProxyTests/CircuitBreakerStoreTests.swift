import CatalogCacheCore
import CatalogRedis
import CatalogTestSupport
import NIOCore
import NIOEmbedded
import Synchronization
import Testing

@testable import CatalogCacheProxy

/// A store whose every call fails with `error` (or succeeds when it is nil), or stays
/// pending until the test completes it; counts the calls that reached it.
final class ScriptedStore: CacheStore {
    let kind = "scripted"
    private let state = Mutex<(error: RedisError?, hold: Bool, calls: Int, pending: [EventLoopPromise<ByteBuffer?>])>((nil, false, 0, []))

    var calls: Int { state.withLock { $0.calls } }
    func fail(with error: RedisError?) { state.withLock { $0.error = error } }
    /// Further `get`s stay pending until `release`.
    func hold() { state.withLock { $0.hold = true } }
    func release() {
        let (pending, error) = state.withLock { s in
            defer { s.pending = []; s.hold = false }
            return (s.pending, s.error)
        }
        for p in pending {
            if let error { p.fail(error) } else { p.succeed(nil) }
        }
    }

    /// Completes the oldest held `get` with `error` (success when nil).
    func releaseOne(_ error: RedisError?) {
        let p = state.withLock { $0.pending.removeFirst() }
        if let error { p.fail(error) } else { p.succeed(nil) }
    }

    private func outcome<T: Sendable>(_ value: T, on loop: EventLoop) -> EventLoopFuture<T> {
        let error = state.withLock { s -> RedisError? in
            s.calls += 1
            return s.error
        }
        if let error { return loop.makeFailedFuture(error) }
        return loop.makeSucceededFuture(value)
    }

    func get(_ key: String, on loop: EventLoop) -> EventLoopFuture<ByteBuffer?> {
        let promise = loop.makePromise(of: ByteBuffer?.self)
        let held = state.withLock { s -> Bool in
            guard s.hold else { return false }
            s.calls += 1
            s.pending.append(promise)
            return true
        }
        if held { return promise.futureResult }
        promise.completeWith(outcome(nil, on: loop))
        return promise.futureResult
    }
    func ticket(tags: [String], on loop: EventLoop) -> EventLoopFuture<StoreTicket> { outcome(StoreTicket(sequence: 0), on: loop) }
    func store(_ key: String, value: ByteBuffer, ttlMilliseconds: Int64, tags: [String], ticket: StoreTicket, on loop: EventLoop) -> EventLoopFuture<Bool> { outcome(true, on: loop) }
    func invalidate(keys: [String], tags: [String], on loop: EventLoop) -> EventLoopFuture<Int> { outcome(0, on: loop) }
    func ping(on loop: EventLoop) -> EventLoopFuture<Bool> { outcome(true, on: loop) }
    func shutdown() async {}
}

@Suite struct CircuitBreakerStoreTests {
    let loop = EmbeddedEventLoop()
    let clock = ManualClock(milliseconds: 1_000_000)
    let inner = ScriptedStore()
    let metrics = ProxyMetrics(routeNames: [])

    func breaker(threshold: Int = 3, coolDown: Int64 = 1000) -> CircuitBreakerStore {
        CircuitBreakerStore(wrapping: inner, policy: CircuitBreakerPolicy(failureThreshold: threshold, coolDownMilliseconds: coolDown), clock: clock, metrics: metrics)
    }

    struct StillPending: Error {}

    /// The error of a completed future, nil on success, `StillPending` when not completed.
    func error<T: Sendable>(_ future: EventLoopFuture<T>) -> Error? {
        let outcome = Mutex<Result<Void, Error>?>(nil)
        future.whenComplete { result in outcome.withLock { $0 = result.map { _ in () } } }
        loop.run()
        switch outcome.withLock({ $0 }) {
        case .none: return StillPending()
        case .success: return nil
        case .failure(let error): return error
        }
    }

    @Test func opensAfterConsecutiveFaultsAndThenNeverCallsTheStore() {
        let b = breaker(threshold: 3)
        inner.fail(with: .timeout)
        for _ in 0..<3 { #expect(error(b.get("k", on: loop)) as? RedisError == .timeout) }
        #expect(b.stateName == "open")
        #expect(metrics.redisCircuitOpens.count == 1)
        #expect(inner.calls == 3)
        for _ in 0..<100 {
            #expect(error(b.get("k", on: loop)) is CircuitOpenError)
            #expect(error(b.ticket(tags: ["t"], on: loop)) is CircuitOpenError)
            #expect(error(b.store("k", value: ByteBuffer(), ttlMilliseconds: 1, tags: [], ticket: StoreTicket(sequence: 0), on: loop)) is CircuitOpenError)
            #expect(error(b.invalidate(keys: ["k"], tags: [], on: loop)) is CircuitOpenError)
        }
        #expect(inner.calls == 3)
        #expect(metrics.redisShortCircuited.count == 400)
        #expect(metrics.redisCircuitOpens.count == 1)
        #expect(metrics.render().contains("catalog_cache_redis_circuit_opens_total 1\n"))
    }

    @Test func aSuccessResetsTheCountOfConsecutiveFaults() {
        let b = breaker(threshold: 3)
        for _ in 0..<5 {
            inner.fail(with: .connectFailed("refused"))
            _ = error(b.get("k", on: loop))
            _ = error(b.get("k", on: loop))
            inner.fail(with: nil)
            #expect(error(b.get("k", on: loop)) == nil)
        }
        #expect(b.stateName == "closed")
        #expect(metrics.redisCircuitOpens.count == 0)
    }

    @Test func errorRepliesProveRedisIsUpAndDoNotOpenIt() {
        let b = breaker(threshold: 2)
        inner.fail(with: .server("WRONGTYPE"))
        for _ in 0..<10 { #expect(error(b.get("k", on: loop)) as? RedisError == .server("WRONGTYPE")) }
        #expect(b.stateName == "closed")
        #expect(inner.calls == 10)
    }

    @Test func afterTheCoolDownOneProbeDecides() {
        let b = breaker(threshold: 1, coolDown: 1000)
        inner.fail(with: .timeout)
        _ = error(b.get("k", on: loop))
        #expect(b.stateName == "open")
        clock.advance(byMilliseconds: 999)
        #expect(error(b.get("k", on: loop)) is CircuitOpenError)
        #expect(inner.calls == 1)

        // Cool-down over: one probe goes through and stays in flight; others still fail fast.
        clock.advance(byMilliseconds: 1)
        inner.hold()
        let probe = b.get("k", on: loop)
        #expect(b.stateName == "half-open")
        #expect(inner.calls == 2)
        for _ in 0..<10 { #expect(error(b.get("k", on: loop)) is CircuitOpenError) }
        #expect(inner.calls == 2)

        // The probe fails: open again for another full cool-down, counted as a second opening.
        inner.release()
        #expect(error(probe) as? RedisError == .timeout)
        #expect(b.stateName == "open")
        #expect(metrics.redisCircuitOpens.count == 2)
        clock.advance(byMilliseconds: 999)
        #expect(error(b.get("k", on: loop)) is CircuitOpenError)
        #expect(inner.calls == 2)

        // Redis is back: the next probe succeeds and the circuit closes.
        clock.advance(byMilliseconds: 1)
        inner.fail(with: nil)
        #expect(error(b.get("k", on: loop)) == nil)
        #expect(b.stateName == "closed")
        for _ in 0..<10 { #expect(error(b.get("k", on: loop)) == nil) }
        #expect(inner.calls == 13)
        #expect(metrics.redisCircuitOpens.count == 2)
    }

    @Test func callsAdmittedBeforeItOpenedDoNotDecideTheProbe() {
        let b = breaker(threshold: 1, coolDown: 10)
        inner.hold()
        let early = b.get("k", on: loop)  // admitted while closed, still in flight
        inner.fail(with: .timeout)
        #expect(error(b.ticket(tags: ["t"], on: loop)) as? RedisError == .timeout)
        #expect(b.stateName == "open")
        clock.advance(byMilliseconds: 10)
        let probe = b.get("k", on: loop)
        #expect(b.stateName == "half-open")
        // The early call succeeds while the probe is in flight: it must not close the circuit.
        inner.releaseOne(nil)
        #expect(error(early) == nil)
        #expect(b.stateName == "half-open")
        // Only the probe decides: it fails, so the circuit opens again.
        inner.releaseOne(.timeout)
        #expect(error(probe) as? RedisError == .timeout)
        #expect(b.stateName == "open")
    }

    @Test func pingBypassesTheBreakerSoReadinessTellsTheTruth() throws {
        let b = breaker(threshold: 1)
        inner.fail(with: .timeout)
        _ = error(b.get("k", on: loop))
        #expect(b.stateName == "open")
        inner.fail(with: nil)
        let callsBefore = inner.calls
        #expect(try b.ping(on: loop).wait() == true)
        #expect(inner.calls == callsBefore + 1)
        #expect(b.stateName == "open")
    }

    @Test func timeoutsWhileTheLoopLaggedNeitherOpenItNorResetTheCount() {
        let b = breaker(threshold: 3)
        inner.fail(with: .timedOutWhileLoopLagged)
        for _ in 0..<50 { #expect(error(b.get("k", on: loop)) as? RedisError == .timedOutWhileLoopLagged) }
        #expect(b.stateName == "closed")
        #expect(metrics.redisCircuitOpens.count == 0)
        #expect(metrics.redisTimeoutsWhileLagging.count == 50)
        // Two real faults, a lagged timeout between them, then a third fault: still consecutive.
        inner.fail(with: .timeout)
        _ = error(b.get("k", on: loop))
        _ = error(b.get("k", on: loop))
        inner.fail(with: .timedOutWhileLoopLagged)
        _ = error(b.get("k", on: loop))
        #expect(b.stateName == "closed")
        inner.fail(with: .timeout)
        _ = error(b.get("k", on: loop))
        #expect(b.stateName == "open")
        #expect(metrics.redisCircuitOpens.count == 1)
    }

    @Test func aProbeThatTimesOutWhileTheLoopLagsDecidesNothing() {
        let b = breaker(threshold: 1, coolDown: 1000)
        inner.fail(with: .timeout)
        _ = error(b.get("k", on: loop))
        #expect(b.stateName == "open")
        clock.advance(byMilliseconds: 1000)
        inner.fail(with: .timedOutWhileLoopLagged)
        #expect(error(b.get("k", on: loop)) as? RedisError == .timedOutWhileLoopLagged)
        #expect(b.stateName == "open", "back to open, due at once")
        #expect(metrics.redisCircuitOpens.count == 1, "not counted as another opening")
        // The next call is a probe at once (no new cool-down); it succeeds and closes it.
        inner.fail(with: nil)
        let callsBefore = inner.calls
        #expect(error(b.get("k", on: loop)) == nil)
        #expect(inner.calls == callsBefore + 1)
        #expect(b.stateName == "closed")
    }

    @Test func faultClassification() {
        #expect(CircuitBreakerStore.isFault(RedisError.timeout))
        #expect(CircuitBreakerStore.isFault(RedisError.connectFailed("x")))
        #expect(CircuitBreakerStore.isFault(RedisError.connectionClosed))
        #expect(!CircuitBreakerStore.isFault(RedisError.server("ERR")))
        #expect(!CircuitBreakerStore.isFault(CircuitOpenError()))
        #expect(!CircuitBreakerStore.isFault(RedisError.timedOutWhileLoopLagged))
        #expect(CircuitBreakerStore.isLoopLag(RedisError.timedOutWhileLoopLagged))
        #expect(!CircuitBreakerStore.isLoopLag(RedisError.timeout))
    }
}
