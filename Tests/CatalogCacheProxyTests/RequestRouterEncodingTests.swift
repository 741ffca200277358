import CatalogCacheCore
import CatalogHTTP
import NIOPosix
import NIOCore
import NIOHTTP1
import Testing

@testable import CatalogCacheProxy

@Suite struct RequestRouterEncodingTests {
    @Test func rememberedEncodingPreferencesEqualFreshOnes() throws {
        let (engine, group, upstream) = try RequestRouterTests().makeEngine()
        defer { try? upstream.shutdown().wait(); try? group.syncShutdownGracefully() }
        let router = RequestRouter(engine: engine)
        let values: [String?] = [nil, "gzip", "GZIP", "gzip;q=0", "identity", "br, gzip, deflate", "*", "*;q=0", "identity;q=1, gzip;q=0.5", "x-gzip", "", "gzip;q=2"]
        for _ in 0..<3 {
            for value in values {
                #expect(router.prefersGzip(value) == AcceptEncoding.prefersGzip(value), "\(String(describing: value))")
            }
        }
        var request = ProxyRequest(head: HTTPRequestHead(version: .http1_1, method: .GET, uri: "/store/hero-banners"))
        request.head.headers.add(name: "Accept-Encoding", value: "gzip")
        #expect(router.route(request).prefersGzip == true)
        request.head.headers.replaceOrAdd(name: "Accept-Encoding", value: "gzip;q=0")
        #expect(router.route(request).prefersGzip == false)
        request.head.method = .POST
        #expect(router.route(request).key == nil && !router.route(request).prefersGzip)
    }
}
