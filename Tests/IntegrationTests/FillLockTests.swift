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
        let wrapped: RedisCacheStore
        let kind = "redis"
        private let calls = Mutex<(storeTokens: [String?], releases: Int)>(([], 0))
        init(_ wrapped: RedisCacheStore) { self.wrapped = wrapped }

        var storeTokens: [String?] { calls.withLock { $0.storeTokens } }
        var releases: Int { calls.withLock { $0.releases } }

        func get(_ key: String, on loop: EventLoop) -> EventLoopFuture<ByteBuffer?> { wrapped.get(key, on: loop) }
        func ticket(tags: [String], on loop: EventLoop) -> EventLoopFuture<StoreTicket> { wrapped.ticket(tags: tags, on: loop) }
        func ticket(key: String, tags: [String], on loop: EventLoop) -> EventLoopFuture<StoreTicket> { wrapped.ticket(key: key, tags: tags, on: loop) }
        func store(_ key: String, value: ByteBuffer, ttlMilliseconds: Int64, tags: [String], ticket: StoreTicket, on loop: EventLoop) -> EventLoopFuture<Bool> {
            calls.withLock { $0.storeTokens.append(ticket.fillLockToken) }
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
            return wrapped.releaseFillLock(key, token: token, on: loop)
        }
        func fillLockHeld(_ key: String, on loop: EventLoop) -> EventLoopFuture<Bool> { wrapped.fillLockHeld(key, on: loop) }
    }

    let loop = TestServices.group.next()

    func lockHeld(_ store: RedisCacheStore, _ key: String) async throws -> Bool {
        try await store.fillLockHeld(key, on: loop).get()
    }

    @Test func theStoreScriptReleasesTheTicketsLockWhetherItStoresOrNot() async throws {
        try await withStack(triggers: false) { stack in
            let store = RedisCacheStore(client: stack.redis, prefix: stack.keyPrefix)
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

    func makeEngine(_ stack: Stack, store: any CacheStore, upstream: UpstreamPool) throws -> CacheEngine {
        let configuration = try stack.configuration(feed: false)
        return CacheEngine(configuration: configuration, store: store, upstream: upstream, metrics: ProxyMetrics(routeNames: configuration.routes.map(\.name)), clock: SystemClock())
    }

    func get(_ engine: CacheEngine, _ uri: String) async throws -> ProxyResponse {
        try await engine.handle(ProxyRequest(head: HTTPRequestHead(version: .http1_1, method: .GET, uri: uri, headers: ["Host": "shop"])), on: loop).get()
    }

    @Test func aFillReleasesItsLockThroughItsStoreAndOnItsOwnOnlyWhenNothingIsStored() async throws {
        try await withStack(triggers: false) { stack in
            let redisStore = RedisCacheStore(client: stack.redis, prefix: stack.keyPrefix)
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
}
