import CatalogCacheCore
import CatalogHTTP
import NIOPosix
import NIOCore
import NIOHTTP1
import Testing

@testable import CatalogCacheProxy

@Suite struct RequestRouterMemoryTests {
    /// 200 distinct 30 KB targets (what the head limit lets a client send) would keep about
    /// 12 MB per loop under the count bound alone; the byte bound keeps it under 2 MiB.
    @Test func longDistinctTargetsStayWithinTheByteBound() throws {
        let (engine, group, upstream) = try RequestRouterTests().makeEngine()
        defer { try? upstream.shutdown().wait(); try? group.syncShutdownGracefully() }
        let router = RequestRouter(engine: engine)
        let junk = String(repeating: "j", count: 30_000)
        var largest = 0
        for i in 0..<200 {
            let request = ProxyRequest(head: HTTPRequestHead(version: .http1_1, method: .GET, uri: "/store/products?q=\(i)\(junk)"))
            #expect(router.route(request).key != nil)
            largest = max(largest, router.rememberedTargets * 2 * 30_000)
            #expect(router.rememberedBytes <= RequestRouter.maxRememberedBytes)
        }
        #expect(largest <= 2 * RequestRouter.maxRememberedBytes)
        #expect(router.rememberedTargets > 0)
    }
}
