import NIOCore
import Testing

@testable import CatalogCacheProxy

/// A pipelining client that never reads costs raw bytes, not parsed heads.
@Suite struct HeldRequestBoundTests {
    @Test func atMostTheBoundIsParsedWhileAnswersWaitAndAllAreAnsweredInOrder() throws {
        let f = try HandlerFixture()
        _ = try f.storeBanners(Array("{}".utf8))
        f.channel.isWritable = false
        f.channel.pipeline.fireChannelWritabilityChanged()
        let count = 1000
        try f.send(String(repeating: "GET /store/hero-banners HTTP/1.1\r\nHost: s\r\n\r\n", count: count))
        let proxy = try f.channel.pipeline.syncOperations.handler(type: ProxyHTTPHandler.self)
        #expect(proxy.heldCount == ProxyHTTPHandler.maxHeldRequests)
        f.channel.isWritable = true
        f.channel.pipeline.fireChannelWritabilityChanged()
        #expect(parseResponses(try f.written()).map(\.status) == Array(repeating: 200, count: count))
        #expect(proxy.heldCount == 0)
    }
}
