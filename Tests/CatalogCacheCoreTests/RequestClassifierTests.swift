import Testing
import CatalogCacheCore

@Suite struct RequestClassifierTests {
    private let classifier: RequestClassifier

    init() throws {
        classifier = RequestClassifier(routes: RouteTable([
            try RouteRule(name: "product", path: "/store/products/{id}", key: "product:{id}:{hash}", ttl: 60),
            try RouteRule(name: "products", path: "/store/products", key: "products:{hash}", ttl: 60),
            try RouteRule(name: "regions", path: "/store/regions", key: "regions", ttl: 60, isPublic: true),
            // Configured by mistake: the never-cacheable prefixes still win.
            try RouteRule(name: "carts", path: "/store/carts/{id}", key: "cart:{id}", ttl: 60),
            try RouteRule(name: "admin", path: "/admin/{rest}", key: "admin:{rest}", ttl: 60),
            try RouteRule(name: "orders", path: "/store/orders", key: "orders", ttl: 60),
            try RouteRule(name: "cartsale", path: "/store/cartsale", key: "cartsale", ttl: 60),
        ]))
    }

    private func classify(_ method: String, _ path: String, _ values: [String: String] = [:]) -> RequestClass {
        classifier.classify(method: method, rawPath: path, headerValue: headers(values))
    }

    private func ruleName(_ result: RequestClass) -> String? {
        if case .cacheable(let match, _) = result { return match.rule.name }
        return nil
    }

    @Test func cacheableRequests() {
        let result = classify("GET", "/store/products/prod_1")
        guard case .cacheable(let match, let path) = result else {
            Issue.record("expected cacheable, got \(result)")
            return
        }
        #expect(match.rule.name == "product")
        #expect(match.parameters == ["id": "prod_1"])
        #expect(path == "/store/products/prod_1")
        #expect(ruleName(classify("HEAD", "/store/products")) == "products")
        #expect(ruleName(classify("GET", "//store/./products")) == "products")
        #expect(ruleName(classify("GET", "/store/x/../products/%70rod")) == "product")
        #expect(ruleName(classify("GET", "/store/cartsale")) == "cartsale")
    }

    @Test(arguments: [
        ("POST", "/store/products", [:], BypassReason.method),
        ("get", "/store/products", [:], .method),
        ("PUT", "/store/products", [:], .method),
        ("OPTIONS", "/store/products", [:], .method),
        ("GET", "/store/collections", [:], .notCacheableRoute),
        ("GET", "/store/products/", [:], .notCacheableRoute),
        ("GET", "/store/carts/cart_1", [:], .notCacheableRoute),
        ("GET", "/store/carts", [:], .notCacheableRoute),
        ("GET", "/admin/products", [:], .notCacheableRoute),
        ("GET", "/store/../admin/products", [:], .notCacheableRoute),
        ("GET", "/store/%2e%2e/admin/products", [:], .notCacheableRoute),
        ("GET", "/store/orders", [:], .notCacheableRoute),
        ("GET", "/store//orders", [:], .notCacheableRoute),
        ("GET", "/store/customers/me", [:], .notCacheableRoute),
        ("GET", "/store/products", ["authorization": "Bearer x"], .authorization),
        ("GET", "/store/products", ["authorization": ""], .authorization),
        ("GET", "/store/products", ["cookie": "connect.sid=1"], .cookie),
        ("GET", "/store/products", ["cookie": "a", "authorization": "b"], .authorization),
        ("GET", "/store%2Fproducts", [:], .unsafePath),
        ("GET", "/store/products/a%2fb", [:], .unsafePath),
        ("POST", "/store/%00", [:], .unsafePath),
        ("GET", "store/products", [:], .unsafePath),
        ("GET", "/store/products\\x", [:], .unsafePath),
    ] as [(String, String, [String: String], BypassReason)])
    func bypasses(method: String, path: String, values: [String: String], reason: BypassReason) {
        #expect(classify(method, path, values) == .bypass(reason))
    }

    @Test func publicRoutesIgnoreCredentials() {
        #expect(ruleName(classify("GET", "/store/regions", ["authorization": "x", "cookie": "y"])) == "regions")
    }

    @Test func requestCacheControlIsIgnored() {
        #expect(ruleName(classify("GET", "/store/products", ["cache-control": "no-store"])) == "products")
        #expect(ruleName(classify("GET", "/store/products", ["pragma": "no-cache"])) == "products")
    }

    @Test func customPrefixes() throws {
        let custom = RequestClassifier(
            routes: RouteTable([try RouteRule(name: "p", path: "/store/products", key: "p", ttl: 1)]),
            neverCacheablePrefixes: ["/store/products/"]
        )
        #expect(custom.classify(method: "GET", rawPath: "/store/products", headerValue: { _ in nil }) == .bypass(.notCacheableRoute))
        #expect(custom.isNeverCacheable("/store/products/x"))
        #expect(!custom.isNeverCacheable("/store/productsx"))
        #expect(RequestClassifier(routes: RouteTable([]), neverCacheablePrefixes: ["/"]).isNeverCacheable("/anything"))
    }

    @Test func originControlledRoutesTakeEveryMethodButNotUnsafePathsOrNeverCacheablePrefixes() throws {
        let classifier = RequestClassifier(routes: RouteTable([
            try RouteRule(name: "pages", path: "/store/pages/{id}", key: "pages:{id}", ttl: 60, mode: .origin),
            try RouteRule(name: "orders", path: "/store/orders/{id}", key: "orders:{id}", ttl: 60, mode: .origin),
        ]))
        for method in ["GET", "HEAD", "POST", "DELETE", "PURGE"] {
            let result = classifier.classify(method: method, rawPath: "/store/./pages/a", headerValue: headers(["authorization": "x"]))
            guard case .originControlled(let match, let path) = result else {
                Issue.record("\(method): expected origin-controlled, got \(result)")
                continue
            }
            #expect(match.rule.name == "pages" && path == "/store/pages/a")
        }
        #expect(classifier.classify(method: "GET", rawPath: "/store/pages/%2F", headerValue: headers([:])) == .bypass(.unsafePath))
        #expect(classifier.classify(method: "GET", rawPath: "/store/orders/1", headerValue: headers([:])) == .bypass(.notCacheableRoute))
        #expect(classifier.classify(method: "POST", rawPath: "/store/orders/1", headerValue: headers([:])) == .bypass(.method))
    }
}
