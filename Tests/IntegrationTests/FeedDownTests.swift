import CatalogCacheCore
import CatalogCacheProxy
import CatalogHTTP
import CatalogTestSupport
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// The bound on staleness while the invalidation feed is down.
@Suite(.enabled(if: TestServices.enabled), .serialized)
struct FeedDownTests {
    @Test(arguments: [nil, 30] as [Int?])
    func entriesOlderThanTheBoundAreRefetchedWhileTheFeedIsDown(bound: Int?) async throws {
        try await withStack(triggers: false) { stack in
            let clock = ManualClock(milliseconds: SystemClock().nowMilliseconds())
            var configuration = try stack.configuration()
            configuration.databaseURL = "postgres://postgres@127.0.0.1:1/nowhere"  // configured, never listening
            configuration.feedDownMaxAgeSeconds = bound
            let proxy = try await stack.startProxy(configuration, clock: clock, waitForFeed: false)
            #expect(proxy.service.feed.state != "listening")
            #expect(try await proxy.get("/store/hero-banners").xCache == "MISS")
            #expect(try await proxy.get("/store/hero-banners").xCache == "HIT")
            clock.advance(bySeconds: 31)  // still fresh by its TTL (300 s), older than the bound
            let later = try await proxy.get("/store/hero-banners")
            #expect(later.xCache == (bound == nil ? "HIT" : "MISS"))
            #expect(try await proxy.get("/store/hero-banners").xCache == "HIT")  // refetched entries are young again
        }
    }
}
