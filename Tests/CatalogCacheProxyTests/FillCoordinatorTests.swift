import CatalogCacheCore
import NIOCore
import NIOEmbedded
import Testing

@testable import CatalogCacheProxy

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
