import CatalogTestSupport
import CatalogCacheCore
import CatalogCacheProxy
import CatalogHTTP
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

/// The hot tier in front of a real Redis, driven through the engine's own serve path: the
/// order of an invalidation's steps against a lookup in flight, and the tier's scan
/// resistance as the lookup path uses it.
@Suite(.enabled(if: TestServices.enabled), .serialized)
struct CoherenceTests {
    /// Redis, with three holds a test can put on: a GET, or a fill's ticket (which reads the
    /// entry too), is sent (and answered by Redis) at once but handed back only on
    /// `releaseGets` / `releaseTickets`; an invalidation waits for `releaseInvalidation` before
    /// it reaches Redis.
    final class HeldStore: CacheStore {
        let wrapped: RedisCacheStore
        let kind = "redis"
        private struct Holds {
            var holdGets = false
            var heldGets: [() -> Void] = []
            var answeredGets = 0
            var holdInvalidations = false
            var heldInvalidations: [() -> Void] = []
            var invalidationsAsked = 0
            var holdTickets = false
            var heldTickets: [() -> Void] = []
            var answeredTickets = 0
        }
        private let holds = Mutex(Holds())
        init(_ wrapped: RedisCacheStore) { self.wrapped = wrapped }

        func holdGets() { holds.withLock { $0.holdGets = true } }
        func holdInvalidations() { holds.withLock { $0.holdInvalidations = true } }
        var answeredGets: Int { holds.withLock { $0.answeredGets } }
        var invalidationsAsked: Int { holds.withLock { $0.invalidationsAsked } }
        func holdTickets(_ hold: Bool) { holds.withLock { $0.holdTickets = hold } }
        var answeredTickets: Int { holds.withLock { $0.answeredTickets } }
        func releaseTickets() {
            let held = holds.withLock { h in defer { h.heldTickets = [] }; return h.heldTickets }
            for release in held { release() }
        }
        func releaseGets() {
            let held = holds.withLock { h in defer { h.heldGets = []; h.holdGets = false }; return h.heldGets }
            for release in held { release() }
        }
        func releaseInvalidations() {
            let held = holds.withLock { h in defer { h.heldInvalidations = []; h.holdInvalidations = false }; return h.heldInvalidations }
            for release in held { release() }
        }

        func get(_ key: String, on loop: EventLoop) -> EventLoopFuture<ByteBuffer?> {
            guard holds.withLock({ $0.holdGets }) else { return wrapped.get(key, on: loop) }
            let handedBack = loop.makePromise(of: ByteBuffer?.self)
            wrapped.get(key, on: loop).whenComplete { result in
                self.holds.withLock { h in
                    h.answeredGets += 1
                    h.heldGets.append { loop.execute { handedBack.completeWith(result) } }
                }
            }
            return handedBack.futureResult
        }

        func invalidate(keys: [String], tags: [String], on loop: EventLoop) -> EventLoopFuture<Int> {
            let held = holds.withLock { h -> Bool in
                h.invalidationsAsked += 1
                return h.holdInvalidations
            }
            guard held else { return wrapped.invalidate(keys: keys, tags: tags, on: loop) }
            let done = loop.makePromise(of: Int.self)
            holds.withLock { h in
                h.heldInvalidations.append { self.wrapped.invalidate(keys: keys, tags: tags, on: loop).cascade(to: done) }
            }
            return done.futureResult
        }

        func ticket(tags: [String], on loop: EventLoop) -> EventLoopFuture<StoreTicket> { wrapped.ticket(tags: tags, on: loop) }
        func ticket(key: String, tags: [String], on loop: EventLoop) -> EventLoopFuture<StoreTicket> {
            guard holds.withLock({ $0.holdTickets }) else { return wrapped.ticket(key: key, tags: tags, on: loop) }
            let handedBack = loop.makePromise(of: StoreTicket.self)
            wrapped.ticket(key: key, tags: tags, on: loop).whenComplete { result in
                self.holds.withLock { h in
                    h.answeredTickets += 1
                    h.heldTickets.append { loop.execute { handedBack.completeWith(result) } }
                }
            }
            return handedBack.futureResult
        }
        func store(_ key: String, value: ByteBuffer, ttlMilliseconds: Int64, tags: [String], ticket: StoreTicket, on loop: EventLoop) -> EventLoopFuture<Bool> {
            wrapped.store(key, value: value, ttlMilliseconds: ttlMilliseconds, tags: tags, ticket: ticket, on: loop)
        }
        func ping(on loop: EventLoop) -> EventLoopFuture<Bool> { wrapped.ping(on: loop) }
        func shutdown() async {}
        func acquireFillLock(_ key: String, token: String, ttlMilliseconds: Int64, on loop: EventLoop) -> EventLoopFuture<Bool> {
            wrapped.acquireFillLock(key, token: token, ttlMilliseconds: ttlMilliseconds, on: loop)
        }
        func releaseFillLock(_ key: String, token: String, on loop: EventLoop) -> EventLoopFuture<Void> { wrapped.releaseFillLock(key, token: token, on: loop) }
        func fillLockHolder(_ key: String, on loop: EventLoop) -> EventLoopFuture<String?> { wrapped.fillLockHolder(key, on: loop) }
    }

    let loop = TestServices.group.next()

    func engine(_ stack: Stack, store: any CacheStore, hotTier: HotTier?) throws -> CacheEngine {
        let configuration = try stack.configuration(feed: false)
        return CacheEngine(configuration: configuration, store: store, upstream: stack.originClient, metrics: ProxyMetrics(routeNames: configuration.routes.map(\.name)), clock: SystemClock(), hotTier: hotTier)
    }

    func get(_ engine: CacheEngine, _ uri: String) async throws -> ProxyResponse {
        try await engine.handle(ProxyRequest(head: HTTPRequestHead(version: .http1_1, method: .GET, uri: uri, headers: ["Host": "shop"])), on: loop).get()
    }

    /// The hero banners cached in Redis (filled without a tier), their title changed in the
    /// database, and the invalidation of `hero_banners` applied through `held` and stopped
    /// before it reaches Redis: the gate is closed, the old entry still in Redis. Answers the
    /// engine and the applying task (finished once `held.releaseInvalidations()`).
    func invalidationHeldBeforeTheDrop(_ stack: Stack, held: HeldStore, tier: HotTier?) async throws -> (CacheEngine, Task<Void, Error>) {
        #expect(try await get(try engine(stack, store: held.wrapped, hotTier: nil), "/store/hero-banners").outcome == .miss)
        let engine = try engine(stack, store: held, hotTier: tier)
        let applier = InvalidationApplier(configuration: try stack.configuration(feed: false), store: held, gate: engine.gate, metrics: engine.metrics, tokens: WriteTokens(instance: "test"), clock: SystemClock(), loop: loop, logger: Logger(label: "test"), hotTier: tier)
        let id = try #require(try await stack.sql("SELECT id FROM hero_banner WHERE is_active ORDER BY sort_order, id LIMIT 1").scalar)
        _ = try await stack.sql("UPDATE hero_banner SET title = 'After the drop' WHERE id = $1", [id])
        held.holdInvalidations()
        let applied = Task { try await offThePool { applier.apply(payload: #"{"tags":["hero_banners"]}"#) } }
        #expect(await eventually { held.invalidationsAsked == 1 })
        return (engine, applied)
    }

    /// A lookup whose Redis GET is answered before the Redis drop but handled after the
    /// invalidation finished must not put the old entry into the tier: the tier's epoch moves
    /// after the store's drop, so the lookup's epoch (read before it) refuses the insert.
    @Test func aLookupAnsweredBeforeTheDropDoesNotPutTheOldEntryIntoTheTier() async throws {
        try await withStack(triggers: false) { stack in
            let held = HeldStore(RedisCacheStore(client: stack.redis, prefix: stack.keyPrefix))
            let tier = HotTier(maxBytes: 8 << 20)
            let (engine, applied) = try await invalidationHeldBeforeTheDrop(stack, held: held, tier: tier)

            held.holdGets()
            let racing = Task { try await get(engine, "/store/hero-banners") }
            #expect(await eventually { held.answeredGets == 1 })  // Redis answered the old entry
            held.releaseInvalidations()
            try await applied.value  // dropped from Redis, gate open
            held.releaseGets()
            _ = try await racing.value  // linearized at its Redis read, before the drop

            let next = try await get(engine, "/store/hero-banners")
            #expect(String(buffer: try #require(next.body)).contains("After the drop"), "served \(next.outcome) from the tier after the drop")
            #expect(next.outcome == .miss)
        }
    }

    /// A fill that began while an invalidation was being applied can read the old entry from
    /// Redis before the drop (its ticket reads the entry) and hand it to its followers after
    /// the gate opened. A request arriving once the invalidation is finished must not join
    /// that fill: it starts its own and gets the new answer.
    @Test func aRequestAfterTheInvalidationDoesNotJoinAFillThatReadTheOldEntry() async throws {
        try await withStack(triggers: false) { stack in
            let held = HeldStore(RedisCacheStore(client: stack.redis, prefix: stack.keyPrefix))
            let (engine, applied) = try await invalidationHeldBeforeTheDrop(stack, held: held, tier: nil)

            // Arrives during the invalidation: its lookup is gated, its fill's ticket reads
            // the old entry from Redis and is handed back only later.
            held.holdTickets(true)
            let during = Task { try await get(engine, "/store/hero-banners") }
            #expect(await eventually { held.answeredTickets == 1 })
            held.holdTickets(false)
            held.releaseInvalidations()
            try await applied.value  // dropped from Redis, gate open: the invalidation is finished

            let after = Task { try await get(engine, "/store/hero-banners") }
            // With its own fill, a second flight is under way; a follower of the first adds none.
            _ = await eventually { engine.fills.inFlight == 2 }
            held.releaseTickets()
            _ = try await during.value  // arrived before the invalidation finished: either answer
            let answer = try await after.value
            #expect(String(buffer: try #require(answer.body)).contains("After the drop"), "served \(answer.outcome) from a fill that read Redis before the drop")
            #expect(answer.outcome != .coalesced)
        }
    }

    /// Entries read from Redis enter the tier's probation segment: a scan over many entries,
    /// each read once through the serve path, leaves the hot set (each hit twice) in place.
    @Test func aScanThroughTheServePathDoesNotEvictTheHotSet() async throws {
        try await withStack(triggers: false) { stack in
            let redisStore = RedisCacheStore(client: stack.redis, prefix: stack.keyPrefix)
            let filler = try engine(stack, store: redisStore, hotTier: nil)
            let hot = (0..<4).map { "/store/products?limit=1&offset=\($0)" }
            let scan = (0..<120).map { "/store/products?limit=1&offset=\(10 + $0)" }
            for uri in hot + scan { #expect(try await get(filler, uri).outcome == .miss) }

            let tier = HotTier(maxBytes: 48 * 1024)
            let engine = try engine(stack, store: redisStore, hotTier: tier)
            for uri in hot {
                #expect(try await get(engine, uri).outcome == .hit)  // read from Redis: probation
                #expect(try await get(engine, uri).outcome == .hit)  // a tier hit: protected
            }
            let tierHits = engine.metrics.hotTierHits.count
            for uri in scan { #expect(try await get(engine, uri).outcome == .hit) }
            #expect(engine.metrics.hotTierHits.count == tierHits, "the scan read each entry once, from Redis")
            for uri in hot { _ = try await get(engine, uri) }
            #expect(engine.metrics.hotTierHits.count == tierHits + hot.count, "the hot set was pushed out by a scan")
        }
    }
}
