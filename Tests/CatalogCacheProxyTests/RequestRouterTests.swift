import CatalogCacheCore
import CatalogHTTP
import NIOPosix
import CatalogTestSupport
import NIOCore
import NIOHTTP1
import Testing

@testable import CatalogCacheProxy

/// The router's memo must never change an answer: for generated requests (targets spelled
/// many ways, vary headers present, absent or different, credentials, methods) the memoised
/// route and key equal the classifier's and key builder's, also across memo resets.
@Suite struct RequestRouterTests {
    static let yaml = """
    routes:
      - name: banners
        path: /store/hero-banners
        key: hero_banners:active
        ttl: 300
        public: true
      - name: list
        path: /store/products
        key: "products:{hash}"
        ttl: 60
        vary: [x-publishable-api-key, accept-language]
      - name: product
        path: /store/products/{id}
        key: "product:{id}:{hash}"
        ttl: 60
        vary: [x-publishable-api-key]
    """

    static let paths = [
        "/store/hero-banners", "//store/hero-banners", "/store/./hero-banners", "/store/x/../hero-banners",
        "/store/products", "/store/products/", "/store/%70roducts", "/store/products/prod_1", "/store/products/prod_2",
        "/store/products/prod%5F1", "/store/carts/1", "/admin/products", "/store/../../etc/passwd", "/nothing",
    ]
    static let queries = [nil, "limit=20", "limit=20&order=-price", "order=-price&limit=20", "limit=%32%30", "a=1&a=2", "q=caf%C3%A9"]
    static let keys = [nil, "pk_1", "pk_2", " pk_1 "]
    static let languages = [nil, "en", "de"]

    func makeEngine() throws -> (CacheEngine, MultiThreadedEventLoopGroup, UpstreamPool) {
        let configuration = try ConfigurationLoader.parse(yaml: Self.yaml)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let upstream = UpstreamPool(endpoint: try UpstreamEndpoint.parse("http://127.0.0.1:1"), configuration: UpstreamPoolConfiguration(), group: group)
        let clock = ManualClock(milliseconds: 0)
        let engine = CacheEngine(configuration: configuration, store: MemoryCacheStore(maxBytes: 1 << 20, clock: clock), upstream: upstream, metrics: ProxyMetrics(routeNames: configuration.routes.map(\.name)), clock: clock)
        return (engine, group, upstream)
    }

    static func request(_ g: inout SeededGenerator) -> ProxyRequest {
        let path = g.element(of: paths)
        let query = g.element(of: queries)
        var headers = HTTPHeaders()
        if let key = g.element(of: keys) { headers.add(name: "X-Publishable-Api-Key", value: key) }
        if let language = g.element(of: languages) { headers.add(name: "Accept-Language", value: language) }
        if let encoding = g.element(of: [nil, "gzip", "gzip;q=0", "br, gzip"] as [String?]) { headers.add(name: "Accept-Encoding", value: encoding) }
        if Int.random(in: 0..<8, using: &g) == 0 { headers.add(name: "Authorization", value: "Bearer t") }
        if Int.random(in: 0..<8, using: &g) == 0 { headers.add(name: "Cookie", value: "s=1") }
        let method = g.element(of: [HTTPMethod.GET, .GET, .GET, .HEAD, .POST])
        return ProxyRequest(head: HTTPRequestHead(version: .http1_1, method: method, uri: query.map { path + "?" + $0 } ?? path, headers: headers))
    }

    @Test(arguments: [1, 3, 4096])
    func memoisedAnswersEqualFreshOnes(capacity: Int) throws {
        let (engine, group, upstream) = try makeEngine()
        defer { try? upstream.shutdown().wait(); try? group.syncShutdownGracefully() }
        let router = RequestRouter(engine: engine, capacity: capacity)
        var g = SeededGenerator(seed: 7)
        var cacheable = 0
        for _ in 0..<5000 {
            let request = Self.request(&g)
            let memoised = router.route(request)
            let fresh = router.classify(request)
            #expect(memoised.classification == fresh.classification, "\(request.head.method) \(request.head.uri) \(request.head.headers)")
            #expect(memoised.key == fresh.key, "\(request.head.uri) \(request.head.headers)")
            #expect(memoised.route?.index == fresh.route?.index && (memoised.route == nil) == (memoised.key == nil))
            #expect(memoised.prefersGzip == fresh.prefersGzip)
            if case .cacheable = fresh.classification { cacheable += 1 }
        }
        #expect(cacheable > 1000)
        #expect(router.rememberedTargets <= capacity)
    }

    @Test func aRememberedTargetStillHonoursCredentialsAndMethod() throws {
        let (engine, group, upstream) = try makeEngine()
        defer { try? upstream.shutdown().wait(); try? group.syncShutdownGracefully() }
        let router = RequestRouter(engine: engine)
        let plain = ProxyRequest(head: HTTPRequestHead(version: .http1_1, method: .GET, uri: "/store/products?limit=20"))
        guard case .cacheable = router.route(plain).classification else { Issue.record("not cacheable"); return }
        #expect(router.rememberedTargets == 1)
        var withCookie = plain
        withCookie.head.headers.add(name: "Cookie", value: "s=1")
        #expect(router.route(withCookie).classification == .bypass(.cookie))
        var post = plain
        post.head.method = .POST
        #expect(router.route(post).classification == .bypass(.method))
        var otherKey = plain
        otherKey.head.headers.add(name: "X-Publishable-Api-Key", value: "pk_2")
        #expect(router.route(otherKey).key != router.route(plain).key)
    }

    @Test func rememberedEncodingPreferencesEqualFreshOnes() throws {
        let (engine, group, upstream) = try makeEngine()
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

    /// 200 distinct 30 KB targets (what the head limit lets a client send) would keep about
    /// 12 MB per loop under the count bound alone; the byte bound keeps it under 2 MiB.
    @Test func longDistinctTargetsStayWithinTheByteBound() throws {
        let (engine, group, upstream) = try makeEngine()
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
