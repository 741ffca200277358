import NIOCore
import Testing

@testable import CatalogCacheProxy

/// A client that pipelines and never reads: answers wait while the channel is not writable.
@Suite struct WritabilityTests {
    @Test func pipelinedRequestsWaitWhileTheChannelIsNotWritable() throws {
        let f = try HandlerFixture()
        _ = try f.storeBanners(Array("{}".utf8))
        let get = "GET /store/hero-banners HTTP/1.1\r\nHost: s\r\n\r\n"
        try f.send(get)
        #expect(parseResponses(try f.written()).count == 1)
        f.channel.isWritable = false
        f.channel.pipeline.fireChannelWritabilityChanged()
        try f.send(String(repeating: get, count: 5))
        #expect(try f.written().isEmpty)
        f.channel.isWritable = true
        f.channel.pipeline.fireChannelWritabilityChanged()
        #expect(parseResponses(try f.written()).map(\.status) == [200, 200, 200, 200, 200])
        #expect(f.channel.isActive)
    }
}
