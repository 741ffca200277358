import CatalogCacheProxy
import CatalogPostgres
import Logging
import NIOCore
import Testing

/// A write answered before the feed confirmed its invalidations (the read-your-writes bound
/// passed, as when the feed's drop retries on a dead Redis primary) is not followed by an
/// older cached answer: no cached entry is served until the confirmation arrives.
@Suite(.enabled(if: TestServices.enabled), .serialized)
struct WriteBarrierGateTests {
    let loop = TestServices.group.next()

    /// A barrier whose token nobody listens for (a channel of its own): it always times out.
    func makeBarrier(gate: InvalidationGate, tokens: WriteTokens, gateLimit: TimeAmount = .seconds(30), databaseURL: String? = TestServices.databaseURL) throws -> (WriteBarrier, PostgresPool, ProxyMetrics) {
        guard let url = databaseURL else { throw ServicesMissing() }
        let pool = PostgresPool(url: url, size: 1)
        let status = InvalidationFeedStatus(configured: true)
        status.set("listening")
        let metrics = ProxyMetrics(routeNames: [])
        let barrier = WriteBarrier(tokens: tokens, notifier: pool, channel: "wbg_\(UInt32.random(in: 0...UInt32.max))", status: status,
                                   metrics: metrics, timeout: .milliseconds(100), logger: Logger(label: "test"), gate: gate, gateLimit: gateLimit)
        return (barrier, pool, metrics)
    }

    @Test func noCachedEntryIsServedAfterATimedOutWriteUntilItsTokenArrives() async throws {
        let gate = InvalidationGate()
        let tokens = WriteTokens(instance: "wbg")
        let (barrier, pool, metrics) = try makeBarrier(gate: gate, tokens: tokens)
        try await barrier.wait(on: loop).get()
        #expect(metrics.readYourWritesTimeouts.count == 1)
        #expect(gate.blocks(key: "catalog:product:p1:x", tags: ["product:p1"]), "cached entries served before the write's invalidations were confirmed")
        #expect(gate.blocks(key: "catalog:hero_banners:active", tags: ["hero_banners"]))
        // The listener receives the token: every invalidation committed before it was applied.
        tokens.received("wbg-1")
        #expect(await eventually { !gate.blocks(key: "catalog:product:p1:x", tags: ["product:p1"]) })
        await pool.shutdown()
    }

    @Test func aTokenNeverReceivedOpensTheGateAtTheLimit() async throws {
        let gate = InvalidationGate()
        let tokens = WriteTokens(instance: "wbg")
        let (barrier, pool, _) = try makeBarrier(gate: gate, tokens: tokens, gateLimit: .milliseconds(200))
        try await barrier.wait(on: loop).get()
        #expect(gate.blocks(key: "k", tags: []))
        #expect(await eventually { !gate.blocks(key: "k", tags: []) })
        #expect(tokens.pendingCount == 0)
        await pool.shutdown()
    }

    @Test func aWriteConfirmedInTimeLeavesTheGateOpen() async throws {
        let gate = InvalidationGate()
        let tokens = WriteTokens(instance: "wbg")
        let (barrier, pool, metrics) = try makeBarrier(gate: gate, tokens: tokens)
        let waiting = barrier.wait(on: loop)
        tokens.received("wbg-1")
        try await waiting.get()
        #expect(metrics.readYourWritesTimeouts.count == 0)
        #expect(!gate.blocks(key: "k", tags: []))
        await pool.shutdown()
    }

    /// Token 2 is made after write 1 was answered upstream, so its NOTIFY commits after write
    /// 1's invalidations: receiving it confirms write 1 as well.
    @Test func aLaterTokenConfirmsAnEarlierWrite() async throws {
        let gate = InvalidationGate()
        let tokens = WriteTokens(instance: "wbg")
        let (barrier, pool, metrics) = try makeBarrier(gate: gate, tokens: tokens)
        let first = barrier.wait(on: loop)
        let second = barrier.wait(on: loop)
        tokens.received("wbg-2")
        try await first.get()
        try await second.get()
        #expect(metrics.readYourWritesTimeouts.count == 0)
        #expect(tokens.pendingCount == 0)
        tokens.received("wbg-1")  // late or duplicated: nothing left to confirm
        tokens.received("other-9")  // another instance's
        #expect(!gate.blocks(key: "k", tags: []))
        await pool.shutdown()
    }

    /// A token the database refused to send is not a confirmation: the write is answered at
    /// the bound with the gate closed, as for a slow feed, never at once with cached entries
    /// still served.
    @Test func aTokenThatCouldNotBeSentClosesTheGateAtTheBound() async throws {
        let gate = InvalidationGate()
        let tokens = WriteTokens(instance: "wbg")
        let (barrier, pool, metrics) = try makeBarrier(gate: gate, tokens: tokens, databaseURL: "postgres://nobody@127.0.0.1:1/none?connect_timeout=1")
        try await barrier.wait(on: loop).get()
        #expect(metrics.readYourWritesTimeouts.count == 1)
        #expect(gate.blocks(key: "catalog:product:p1:x", tags: ["product:p1"]), "a write answered without confirmation while cached entries are served")
        tokens.received("wbg-1")
        #expect(await eventually { !gate.blocks(key: "k", tags: []) })
        await pool.shutdown()
    }
}
