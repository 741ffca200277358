import CatalogCacheCore
import NIOCore
import NIOEmbedded
import Testing

@testable import CatalogCacheProxy

@Suite struct MemoryCacheStoreTests {
    let loop = EmbeddedEventLoop()

    func value(_ size: Int, _ byte: UInt8 = 7) -> ByteBuffer { ByteBuffer(bytes: [UInt8](repeating: byte, count: size)) }

    @Test func storesAndExpires() throws {
        let clock = ManualClock(milliseconds: 1_000)
        let store = MemoryCacheStore(maxBytes: 1 << 20, clock: clock)
        let ticket = try store.ticket(tags: ["t"], on: loop).wait()
        #expect(try store.store("k", value: value(10), ttlMilliseconds: 500, tags: ["t"], ticket: ticket, on: loop).wait())
        #expect(try store.get("k", on: loop).wait()?.readableBytes == 10)
        clock.advance(byMilliseconds: 499)
        #expect(try store.get("k", on: loop).wait() != nil)
        clock.advance(byMilliseconds: 1)
        #expect(try store.get("k", on: loop).wait() == nil)
        #expect(store.count == 0)
    }

    @Test func evictsLeastRecentlyUsedWithinTheByteBound() throws {
        let clock = ManualClock(milliseconds: 0)
        let store = MemoryCacheStore(maxBytes: 300, clock: clock)
        let ticket = StoreTicket(sequence: 0)
        for key in ["a", "b", "c"] {
            _ = try store.store(key, value: value(99), ttlMilliseconds: 10_000, tags: [], ticket: ticket, on: loop).wait()
        }
        #expect(store.bytesUsed == 300)
        _ = try store.get("a", on: loop).wait()  // a is now the most recently used
        _ = try store.store("d", value: value(99), ttlMilliseconds: 10_000, tags: [], ticket: ticket, on: loop).wait()
        #expect(try store.get("b", on: loop).wait() == nil)
        #expect(try store.get("a", on: loop).wait() != nil)
        #expect(try store.get("c", on: loop).wait() != nil)
        #expect(try store.get("d", on: loop).wait() != nil)
        #expect(store.bytesUsed <= 300)
        // An object larger than the whole store is not stored and evicts nothing.
        #expect(try store.store("huge", value: value(400), ttlMilliseconds: 10_000, tags: [], ticket: ticket, on: loop).wait())
        #expect(try store.get("huge", on: loop).wait() == nil)
        #expect(store.count == 3)
    }

    @Test func invalidatingATagDropsItsEntriesAndRefusesOlderTickets() throws {
        let clock = ManualClock(milliseconds: 0)
        let store = MemoryCacheStore(maxBytes: 1 << 20, clock: clock)
        let t0 = try store.ticket(tags: ["products"], on: loop).wait()
        _ = try store.store("p1", value: value(5), ttlMilliseconds: 10_000, tags: ["products"], ticket: t0, on: loop).wait()
        _ = try store.store("p2", value: value(5), ttlMilliseconds: 10_000, tags: ["products", "product:2"], ticket: try store.ticket(tags: ["products", "product:2"], on: loop).wait(), on: loop).wait()
        _ = try store.store("b", value: value(5), ttlMilliseconds: 10_000, tags: ["banners"], ticket: try store.ticket(tags: ["banners"], on: loop).wait(), on: loop).wait()

        let fillStartedBefore = try store.ticket(tags: ["products"], on: loop).wait()
        #expect(try store.invalidate(keys: [], tags: ["products"], on: loop).wait() == 2)
        #expect(try store.get("p1", on: loop).wait() == nil)
        #expect(try store.get("p2", on: loop).wait() == nil)
        #expect(try store.get("b", on: loop).wait() != nil)

        // The fill that began before the invalidation must not store its result.
        #expect(try store.store("p1", value: value(5), ttlMilliseconds: 10_000, tags: ["products"], ticket: fillStartedBefore, on: loop).wait() == false)
        #expect(try store.get("p1", on: loop).wait() == nil)
        // A fill that begins afterwards may.
        let fresh = try store.ticket(tags: ["products"], on: loop).wait()
        #expect(try store.store("p1", value: value(5), ttlMilliseconds: 10_000, tags: ["products"], ticket: fresh, on: loop).wait())

        #expect(try store.invalidate(keys: ["b", "missing"], tags: [], on: loop).wait() == 1)
        #expect(try store.get("b", on: loop).wait() == nil)
    }
}

@Suite struct FillCoordinatorTests {
    @Test func oneLeaderManyFollowersAllWokenWithTheSameResult() throws {
        let loop = EmbeddedEventLoop()
        let fills = FillCoordinator(maxWaiters: 100)
        guard case .leader(let flight) = fills.join(key: "k", tags: ["t"], on: loop) else { Issue.record("first is leader"); return }
        var followers: [EventLoopFuture<FillResult>] = []
        for _ in 0..<50 {
            guard case .follower(let f) = fills.join(key: "k", tags: ["t"], on: loop) else { Issue.record("then followers"); return }
            followers.append(f)
        }
        #expect(fills.inFlight == 1)
        let meta = EntryMetadata(status: 200, contentType: "application/json", etag: "e", storedAt: 0, ttl: 1, staleWhileRevalidate: 0, staleIfError: 0, encoding: .identity, identityLength: 2, tags: ["t"], extraHeaders: [])
        fills.finish(flight, with: .success(.entry(meta, body: ByteBuffer(string: "{}"))))
        for f in followers {
            guard case .entry(let m, let body) = try f.wait() else { Issue.record("entry expected"); return }
            #expect(m == meta)
            #expect(String(buffer: body) == "{}")
        }
        #expect(fills.inFlight == 0)
        // The next miss leads a new flight.
        guard case .leader = fills.join(key: "k", tags: ["t"], on: loop) else { Issue.record("new leader"); return }
    }

    @Test func failureReachesEveryWaiterAndOverflowIsBounded() throws {
        let loop = EmbeddedEventLoop()
        let fills = FillCoordinator(maxWaiters: 2)
        guard case .leader(let flight) = fills.join(key: "k", tags: [], on: loop) else { Issue.record("leader"); return }
        guard case .follower(let a) = fills.join(key: "k", tags: [], on: loop),
              case .follower(let b) = fills.join(key: "k", tags: [], on: loop) else { Issue.record("two followers"); return }
        guard case .overflow = fills.join(key: "k", tags: [], on: loop) else { Issue.record("third overflows"); return }
        struct Boom: Error {}
        fills.finish(flight, with: .failure(Boom()))
        #expect(throws: Boom.self) { try a.wait() }
        #expect(throws: Boom.self) { try b.wait() }
    }

    @Test func afterDetachNewRequestsDoNotJoinAnOlderFill() throws {
        let loop = EmbeddedEventLoop()
        let fills = FillCoordinator()
        guard case .leader(let old) = fills.join(key: "k", tags: ["products"], on: loop) else { Issue.record("leader"); return }
        guard case .follower(let early) = fills.join(key: "k", tags: ["products"], on: loop) else { Issue.record("follower"); return }
        fills.detach(tags: ["products"], keys: [])
        guard case .leader(let new) = fills.join(key: "k", tags: ["products"], on: loop) else { Issue.record("a new leader after detach"); return }
        guard case .follower(let late) = fills.join(key: "k", tags: ["products"], on: loop) else { Issue.record("follower of the new fill"); return }
        let meta = EntryMetadata(status: 200, contentType: "a", etag: "old", storedAt: 0, ttl: 1, staleWhileRevalidate: 0, staleIfError: 0, encoding: .identity, identityLength: 0, tags: [], extraHeaders: [])
        var newMeta = meta
        newMeta.etag = "new"
        fills.finish(old, with: .success(.entry(meta, body: ByteBuffer())))
        fills.finish(new, with: .success(.entry(newMeta, body: ByteBuffer())))
        guard case .entry(let e, _) = try early.wait(), case .entry(let l, _) = try late.wait() else { Issue.record("entries"); return }
        #expect(e.etag == "old")
        #expect(l.etag == "new")
        // Detaching by another tag leaves a flight alone.
        guard case .leader(let z) = fills.join(key: "z", tags: ["banners"], on: loop) else { Issue.record("leader"); return }
        fills.detach(tags: ["products"], keys: [])
        guard case .follower(let zFollower) = fills.join(key: "z", tags: ["banners"], on: loop) else { Issue.record("still joins"); return }
        fills.finish(z, with: .success(.entry(meta, body: ByteBuffer())))
        _ = try zFollower.wait()
    }
}

@Suite struct InvalidationGateTests {
    @Test func blocksOnlyWhatIsBeingInvalidated() {
        let gate = InvalidationGate()
        #expect(!gate.blocks(key: "k", tags: ["a"]))
        gate.begin(tags: ["a"], keys: ["x"])
        #expect(gate.blocks(key: "k", tags: ["b", "a"]))
        #expect(gate.blocks(key: "x", tags: []))
        #expect(!gate.blocks(key: "k", tags: ["b"]))
        gate.begin(tags: ["a"], keys: [])
        gate.end(tags: ["a"], keys: ["x"])
        #expect(gate.blocks(key: "k", tags: ["a"]))  // still one pending for "a"
        #expect(!gate.blocks(key: "x", tags: []))
        gate.end(tags: ["a"], keys: [])
        #expect(!gate.blocks(key: "k", tags: ["a"]))
        gate.begin(tags: [], keys: [], all: true)
        #expect(gate.blocks(key: "anything", tags: []))
        gate.end(tags: [], keys: [], all: true)
        #expect(!gate.blocks(key: "anything", tags: []))
    }
}

@Suite struct PurgeAndTriggerSQLTests {
    @Test func purgePayloadsStayUnderTheNotifyLimitAndKeepEverything() throws {
        let keys = (0..<500).map { "products:\(String(repeating: "f", count: 32))\($0)" }
        let payloads = PurgePayload.make(keys: keys, tags: ["products", "quote\"tag"])
        #expect(payloads.count > 1)
        var seenKeys = 0
        for payload in payloads {
            #expect(payload.utf8.count < 8000)
            guard case .explicit(let k, let t) = try NotifyPayloadParser.parse(payload) else { Issue.record("explicit payload"); return }
            seenKeys += k.count
            if !t.isEmpty { #expect(t == ["products", "quote\"tag"]) }
        }
        #expect(seenKeys == 500)
    }

    @Test func triggerSQLUsesStatementLevelTriggersWithTransitionTables() {
        let tables = [InvalidatedTable(name: "product", idColumn: "id", mapping: TableMapping(tags: ["products"], keys: []))]
        let sql = TriggerSQL.script(tables: tables, channel: "catalog_cache")
        #expect(sql.contains("FOR EACH STATEMENT"))
        #expect(!sql.contains("FOR EACH ROW"))
        #expect(sql.contains("REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"))
        #expect(sql.contains("CREATE OR REPLACE TRIGGER catalog_cache_truncate AFTER TRUNCATE ON \"product\""))
        #expect(sql.contains("('id', 'catalog_cache')"))
    }
}

@Suite struct ProxyMetricsTests {
    @Test func countsEveryOutcomeUnderItsRouteAndRendersPrometheusText() {
        let metrics = ProxyMetrics(routeNames: ["banners", "products"])
        metrics.recordRequest(routeIndex: 0, outcome: .hit, status: 200, startedNanoseconds: MonotonicClock.nanoseconds(), key: "")
        metrics.recordRequest(routeIndex: 0, outcome: .hit, status: 200, startedNanoseconds: MonotonicClock.nanoseconds(), key: "")
        metrics.recordRequest(routeIndex: 1, outcome: .miss, status: 200, startedNanoseconds: MonotonicClock.nanoseconds(), key: "")
        metrics.recordRequest(routeIndex: nil, outcome: .bypass, status: 200, startedNanoseconds: MonotonicClock.nanoseconds(), key: "")
        metrics.upstreamLatency.observe(0.003)
        #expect(metrics.requestCount(route: "banners", outcome: .hit) == 2)
        #expect(metrics.requestCount(route: "products", outcome: .miss) == 1)
        #expect(metrics.requestCount(route: "-", outcome: .bypass) == 1)
        #expect(metrics.requestCount(outcome: .hit) == 2)
        let text = metrics.render()
        #expect(text.contains("catalog_cache_requests_total{route=\"banners\",outcome=\"hit\"} 2\n"))
        #expect(text.contains("catalog_cache_requests_total{route=\"-\",outcome=\"bypass\"} 1\n"))
        #expect(text.contains("catalog_cache_upstream_request_duration_seconds_bucket{le=\"0.0025\"} 0\n"))
        #expect(text.contains("catalog_cache_upstream_request_duration_seconds_bucket{le=\"0.005\"} 1\n"))
        #expect(text.contains("catalog_cache_upstream_request_duration_seconds_count 1\n"))
        // Every sample line is "name{labels} value" or "name value".
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            #expect(line.split(separator: " ").count == 2, "bad line \(line)")
        }
    }
}
