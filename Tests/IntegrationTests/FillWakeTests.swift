import CatalogCacheCore
import CatalogCacheProxy
import CatalogHTTP
import CatalogRedis
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// Two instances on one real Redis (or cluster): the one waiting for the other's fill is woken
/// by the message the fill's store publishes, and reads the store a handful of times however
/// long the fill takes, not once per poll.
@Suite(.enabled(if: TestServices.enabled), .serialized)
struct FillWakeTests {
    let loop = TestServices.group.next()

    /// An instance: its own store (and pub/sub connection when `woken`), its own fill tokens.
    struct Instance {
        let engine: CacheEngine
        let subscriber: RedisSubscriber?
    }

    /// `fallbackMilliseconds` far beyond the test: only a message can wake the waiter in time;
    /// the lock outlives the test too, so the waiter never gives up and fetches.
    func makeInstance(_ stack: Stack, upstream: UpstreamPool, woken: Bool) throws -> Instance {
        var subscriber: RedisSubscriber?
        if woken {
            subscriber = RedisSubscriber(connector: try RedisConnector(configuration: stack.redis.configuration), eventLoop: loop)
            subscriber?.start()
        }
        var configuration = try stack.configuration(feed: false)
        configuration.fillLockMilliseconds = 60_000
        configuration.fillWaitFallbackMilliseconds = 60_000
        let engine = CacheEngine(configuration: configuration, store: stack.makeStore(subscriber: subscriber), upstream: upstream,
                                 metrics: ProxyMetrics(routeNames: configuration.routes.map(\.name)), clock: SystemClock())
        return Instance(engine: engine, subscriber: subscriber)
    }

    func get(_ engine: CacheEngine, _ uri: String) async throws -> ProxyResponse {
        try await engine.handle(ProxyRequest(head: HTTPRequestHead(version: .http1_1, method: .GET, uri: uri, headers: ["Host": "shop"])), on: loop).get()
    }

    /// Instance A fills through an upstream held open; B misses the same key, finds A's lock
    /// and waits. Polling every 10 ms would read the store twice per poll for as long as the
    /// upstream is held; woken, B reads it twice before sleeping and once after the message.
    /// `dropSubscription`: B's pub/sub connection is killed while it sleeps, and remade.
    func waitForAnotherInstancesFill(dropSubscription: Bool) async throws {
        try await withStack(triggers: false) { stack in
            let gated = GatedUpstream()
            let server = try await HTTPServer.start(host: "127.0.0.1", port: 0, group: TestServices.group, responder: gated)
            let upstream = UpstreamPool(endpoint: try UpstreamEndpoint.parse("http://127.0.0.1:\(server.localPort)"), configuration: UpstreamPoolConfiguration(), group: TestServices.group)
            let a = try makeInstance(stack, upstream: upstream, woken: true)
            let b = try makeInstance(stack, upstream: upstream, woken: true)
            let metrics = b.engine.metrics

            let leader = Task { try await get(a.engine, "/store/hero-banners") }
            #expect(await eventually { gated.received == 1 })
            let waiter = Task { try await get(b.engine, "/store/hero-banners") }
            // Asleep: the entry and the lock's holder read once each.
            #expect(await eventually { metrics.fillLockWaits.count == 1 && metrics.fillWaitReads.count == 2 })
            if dropSubscription {
                _ = try await stack.redis.send(RedisCommand("CLIENT", "KILL", "TYPE", "pubsub"), on: loop).get()
                // Remade and subscribed again: B is woken once (a message may have been lost) and sleeps again.
                #expect(await eventually { metrics.fillWaitWakes.count == 1 && metrics.fillWaitReads.count == 4 })
            }
            // A long fill: at a 10 ms poll this would be dozens of reads.
            try await Task.sleep(for: .milliseconds(500))
            let readsWhileHeld = metrics.fillWaitReads.count
            gated.open()

            #expect(try await leader.value.outcome == .miss)
            let answered = try await waiter.value
            #expect(answered.head.status == .ok)
            #expect(answered.outcome == .coalesced)
            #expect(gated.received == 1, "the waiter went upstream")
            #expect(readsWhileHeld == (dropSubscription ? 4 : 2), "reads while the fill ran: \(readsWhileHeld)")
            // Woken by the message (not the timer), then one read found the entry.
            #expect(metrics.fillWaitWakes.count == (dropSubscription ? 2 : 1))
            #expect(metrics.fillWaitPolls.count == 0)
            #expect(metrics.fillWaitReads.count == readsWhileHeld + 1)
            for subscriber in [a.subscriber, b.subscriber] { subscriber?.stop() }
            try await upstream.shutdown().get()
            try await server.shutdown()
        }
    }

    @Test func aWaiterIsWokenByTheFillsMessageNotByPolling() async throws {
        try await waitForAnotherInstancesFill(dropSubscription: false)
    }

    /// `CLIENT KILL TYPE pubsub` reaches one node; on a cluster the subscriber's node is not
    /// known to the test, so this runs on one node (plain, TLS, Sentinel).
    @Test(.enabled(if: !TestServices.isCluster)) func aWaiterIsWokenAgainAfterItsSubscriptionIsRemade() async throws {
        try await waitForAnotherInstancesFill(dropSubscription: true)
    }

    /// Without a subscription (wake-ups unavailable) the waiter still gets the peer's entry,
    /// polling: the fallback for a subscriber that cannot connect.
    @Test func aWaiterWithoutWakeUpsPollsAndStillGetsThePeersEntry() async throws {
        try await withStack(triggers: false) { stack in
            let gated = GatedUpstream()
            let server = try await HTTPServer.start(host: "127.0.0.1", port: 0, group: TestServices.group, responder: gated)
            let upstream = UpstreamPool(endpoint: try UpstreamEndpoint.parse("http://127.0.0.1:\(server.localPort)"), configuration: UpstreamPoolConfiguration(), group: TestServices.group)
            let a = try makeInstance(stack, upstream: upstream, woken: true)
            let b = try makeInstance(stack, upstream: upstream, woken: false)
            let leader = Task { try await get(a.engine, "/store/hero-banners") }
            #expect(await eventually { gated.received == 1 })
            let waiter = Task { try await get(b.engine, "/store/hero-banners") }
            #expect(await eventually { b.engine.metrics.fillWaitPolls.count >= 3 })
            gated.open()
            _ = try await leader.value
            let answered = try await waiter.value
            #expect(answered.outcome == .coalesced)
            #expect(gated.received == 1)
            #expect(b.engine.metrics.fillWaitWakes.count == 0)
            a.subscriber?.stop()
            try await upstream.shutdown().get()
            try await server.shutdown()
        }
    }
}
