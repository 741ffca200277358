import CatalogCacheCore
import CatalogCacheProxy
import CatalogHTTP
import CatalogRedis
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

/// The cross-instance fill lock against a real Redis: the store script releases it with the
/// entry (stored or refused), and a fill releases it on its own only when nothing was stored.
@Suite(.enabled(if: TestServices.enabled), .serialized)
struct FillLockTests {
    /// A store in front of Redis that records what the engine asks of the fill lock.
    final class RecordingStore: CacheStore {
        let wrapped: any CacheStore
        let kind = "redis"
        private let calls = Mutex<(storeTokens: [String?], releases: Int)>(([], 0))
        /// Releases are lost (as when Redis times out): the store gets no token, and
        /// `releaseFillLock` never reaches Redis.
        let losesReleases: Bool
        init(_ wrapped: any CacheStore, losesReleases: Bool = false) {
            self.wrapped = wrapped
            self.losesReleases = losesReleases
        }

        var storeTokens: [String?] { calls.withLock { $0.storeTokens } }
        var releases: Int { calls.withLock { $0.releases } }

        func get(_ key: String, on loop: EventLoop) -> EventLoopFuture<ByteBuffer?> { wrapped.get(key, on: loop) }
        func ticket(tags: [String], on loop: EventLoop) -> EventLoopFuture<StoreTicket> { wrapped.ticket(tags: tags, on: loop) }
        func ticket(key: String, tags: [String], on loop: EventLoop) -> EventLoopFuture<StoreTicket> { wrapped.ticket(key: key, tags: tags, on: loop) }
        func store(_ key: String, value: ByteBuffer, ttlMilliseconds: Int64, tags: [String], ticket: StoreTicket, on loop: EventLoop) -> EventLoopFuture<Bool> {
            calls.withLock { $0.storeTokens.append(ticket.fillLockToken) }
            var ticket = ticket
            if losesReleases { ticket.fillLockToken = nil }
            return wrapped.store(key, value: value, ttlMilliseconds: ttlMilliseconds, tags: tags, ticket: ticket, on: loop)
        }
        func invalidate(keys: [String], tags: [String], on loop: EventLoop) -> EventLoopFuture<Int> { wrapped.invalidate(keys: keys, tags: tags, on: loop) }
        func ping(on loop: EventLoop) -> EventLoopFuture<Bool> { wrapped.ping(on: loop) }
        func shutdown() async {}
        func acquireFillLock(_ key: String, token: String, ttlMilliseconds: Int64, on loop: EventLoop) -> EventLoopFuture<Bool> {
            wrapped.acquireFillLock(key, token: token, ttlMilliseconds: ttlMilliseconds, on: loop)
        }
        func releaseFillLock(_ key: String, token: String, on loop: EventLoop) -> EventLoopFuture<Void> {
            calls.withLock { $0.releases += 1 }
            return losesReleases ? loop.makeSucceededVoidFuture() : wrapped.releaseFillLock(key, token: token, on: loop)
        }
        func fillLockHolder(_ key: String, on loop: EventLoop) -> EventLoopFuture<String?> { wrapped.fillLockHolder(key, on: loop) }
    }

    let loop = TestServices.group.next()

    func lockHeld(_ store: any CacheStore, _ key: String) async throws -> Bool {
        try await store.fillLockHolder(key, on: loop).get() != nil
    }

    @Test func theStoreScriptReleasesTheTicketsLockWhetherItStoresOrNot() async throws {
        try await withStack(triggers: false) { stack in
            let store = stack.makeStore()
            let key = stack.keyPrefix + "products:a"
            let value = ByteBuffer(string: "entry")

            // Stored: the lock goes with it.
            #expect(try await store.acquireFillLock(key, token: "t1", ttlMilliseconds: 60_000, on: loop).get())
            var ticket = try await store.ticket(key: key, tags: ["products"], on: loop).get()
            ticket.fillLockToken = "t1"
            #expect(try await store.store(key, value: value, ttlMilliseconds: 60_000, tags: ["products"], ticket: ticket, on: loop).get())
            #expect(try await !lockHeld(store, key))
            #expect(try await store.get(key, on: loop).get() == value)

            // Refused (the tag was invalidated since the ticket): released all the same.
            #expect(try await store.acquireFillLock(key, token: "t2", ttlMilliseconds: 60_000, on: loop).get())
            ticket = try await store.ticket(key: key, tags: ["products"], on: loop).get()
            ticket.fillLockToken = "t2"
            _ = try await store.invalidate(keys: [], tags: ["products"], on: loop).get()
            #expect(try await !store.store(key, value: value, ttlMilliseconds: 60_000, tags: ["products"], ticket: ticket, on: loop).get())
            #expect(try await !lockHeld(store, key))
            #expect(try await store.get(key, on: loop).get() == nil)

            // Another token (the lock expired and was taken again), or none: the lock stays.
            #expect(try await store.acquireFillLock(key, token: "t3", ttlMilliseconds: 60_000, on: loop).get())
            ticket = try await store.ticket(key: key, tags: ["products"], on: loop).get()
            ticket.fillLockToken = "t2"
            #expect(try await store.store(key, value: value, ttlMilliseconds: 60_000, tags: ["products"], ticket: ticket, on: loop).get())
            #expect(try await lockHeld(store, key))
            ticket.fillLockToken = nil
            #expect(try await store.store(key, value: value, ttlMilliseconds: 60_000, tags: ["products"], ticket: ticket, on: loop).get())
            #expect(try await lockHeld(store, key))
        }
    }

    func makeEngine(_ stack: Stack, store: any CacheStore, upstream: UpstreamPool, fillLockMilliseconds: Int = 5000, fills: FillCoordinator = FillCoordinator()) throws -> CacheEngine {
        var configuration = try stack.configuration(feed: false)
        configuration.fillLockMilliseconds = fillLockMilliseconds
        return CacheEngine(configuration: configuration, store: store, upstream: upstream, metrics: ProxyMetrics(routeNames: configuration.routes.map(\.name)), clock: SystemClock(), fills: fills)
    }

    func get(_ engine: CacheEngine, _ uri: String) async throws -> ProxyResponse {
        try await engine.handle(ProxyRequest(head: HTTPRequestHead(version: .http1_1, method: .GET, uri: uri, headers: ["Host": "shop"])), on: loop).get()
    }

    @Test func aFillReleasesItsLockThroughItsStoreAndOnItsOwnOnlyWhenNothingIsStored() async throws {
        try await withStack(triggers: false) { stack in
            let redisStore = stack.makeStore()
            let store = RecordingStore(redisStore)
            let engine = try makeEngine(stack, store: store, upstream: stack.originClient)
            let miss = try await get(engine, "/store/hero-banners")
            #expect(miss.head.status == .ok)
            #expect(miss.outcome == .miss)
            #expect(store.storeTokens.count == 1)
            #expect(store.storeTokens.first.flatMap { $0 } != nil)
            #expect(store.releases == 0)
            #expect(try await stack.redisKeys().allSatisfy { !$0.contains("lock:") })
            #expect(try await get(engine, "/store/hero-banners").outcome == .hit)

            // The upstream cannot be reached: nothing is stored, the lock is released on its own.
            let dead = UpstreamPool(endpoint: try UpstreamEndpoint.parse("http://127.0.0.1:1"), configuration: UpstreamPoolConfiguration(), group: TestServices.group)
            let failing = RecordingStore(redisStore)
            let failed = try await get(try makeEngine(stack, store: failing, upstream: dead), "/store/products?limit=3")
            #expect(failed.head.status == .badGateway)
            #expect(failing.storeTokens.isEmpty)
            #expect(await eventually { failing.releases == 1 })
            #expect(await eventually { (try? await stack.redisKeys().allSatisfy { !$0.contains("lock:") }) == true })
            try await dead.shutdown().get()
        }
    }

    /// A lock this instance left behind (its release lost) is not waited for: one fill of a
    /// key runs here at a time, so nobody here holds it. Another instance's lock is.
    @Test func aLockLeftBehindByThisInstanceIsNotWaitedForButAnotherInstancesIs() async throws {
        try await withStack(triggers: false) { stack in
            let redisStore = stack.makeStore()
            let store = RecordingStore(redisStore, losesReleases: true)
            // Without the check the second miss would wait out this lock (20 s) and count a wait.
            let engine = try makeEngine(stack, store: store, upstream: stack.originClient, fillLockMilliseconds: 20_000)
            let key = stack.keyPrefix + "hero_banners:active"
            #expect(try await get(engine, "/store/hero-banners").outcome == .miss)
            let left = try await redisStore.fillLockHolder(key, on: loop).get()
            #expect(left?.hasPrefix(engine.fillLockOwner + ".") == true)

            _ = try await stack.redis.send(.del([stack.storedKey(key)]), on: loop).get()
            let second = try await get(engine, "/store/hero-banners")
            #expect(second.outcome == .miss)
            #expect(second.head.status == .ok)
            #expect(engine.metrics.fillLocksLeftBehind.count == 1)
            #expect(engine.metrics.fillLockWaits.count == 0)

            // Another instance's lock: waited for until it goes away, then fetched.
            _ = try await stack.redis.send(.del([stack.storedKey(key)]), on: loop).get()
            _ = try await stack.redis.send(.set(stack.storedLockKey(key), value: ByteBuffer(string: "another.1"), pxMilliseconds: 600_000), on: loop).get()
            let third = Task { try await get(engine, "/store/hero-banners") }
            #expect(await eventually { engine.metrics.fillLockWaits.count == 1 })
            _ = try await stack.redis.send(.del([stack.storedLockKey(key)]), on: loop).get()
            let answered = try await third.value
            #expect(answered.head.status == .ok)
            #expect(engine.metrics.fillLocksLeftBehind.count == 1)
        }
    }

    /// A miss that overflows the in-process flight (more waiters than allowed) fills on its
    /// own and finds the lock held under this instance's name by the leader still running
    /// here: it waits for that fill like a peer's, rather than taking the lock as left behind
    /// and going upstream a second time.
    @Test func anOverflowingMissWaitsForTheFillRunningHereInsteadOfGoingUpstream() async throws {
        try await withStack(triggers: false) { stack in
            let gated = GatedUpstream()
            let server = try await HTTPServer.start(host: "127.0.0.1", port: 0, group: TestServices.group, responder: gated)
            let upstream = UpstreamPool(endpoint: try UpstreamEndpoint.parse("http://127.0.0.1:\(server.localPort)"), configuration: UpstreamPoolConfiguration(), group: TestServices.group)
            let engine = try makeEngine(stack, store: stack.makeStore(), upstream: upstream, fills: FillCoordinator(maxWaiters: 0))
            let leader = Task { try await get(engine, "/store/hero-banners") }
            #expect(await eventually { gated.received == 1 })
            let overflowing = Task { try await get(engine, "/store/hero-banners") }
            #expect(await eventually { engine.metrics.fillLockWaits.count == 1 })
            gated.open()
            #expect(try await leader.value.outcome == .miss)
            let second = try await overflowing.value
            #expect(second.head.status == .ok)
            #expect(second.outcome == .coalesced)
            #expect(gated.received == 1)
            #expect(engine.metrics.fillLocksLeftBehind.count == 0)
            try await upstream.shutdown().get()
            try await server.shutdown()
        }
    }
}
