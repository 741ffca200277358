import CatalogCacheCore
import NIOCore
import NIOHTTP1

/// A request's classification and, exactly when it is cacheable, its cache key; its compiled
/// route when cacheable or origin-controlled (the normalised path is in the classification).
struct RoutedRequest {
    let classification: RequestClass
    let key: String?
    let route: CompiledRoute?
    /// `AcceptEncoding.prefersGzip` of the request (false when not cacheable: unused then).
    var prefersGzip = false

    static func bypass(_ classification: RequestClass) -> RoutedRequest {
        RoutedRequest(classification: classification, key: nil, route: nil)
    }
}

/// Classifies requests and builds their cache keys, remembering the result per request
/// target so a hot URL is normalised and hashed once, not on every hit.
///
/// One router per event loop (it is not thread-safe); `ProxyService` gives each connection
/// its loop's router. The remembered result depends on the target (`uri`) and the values of
/// the headers any route varies on, which together determine the normalised path, the route
/// match and the key under a fixed configuration. Everything else that can change the
/// classification is checked on every request: the method (only GET and HEAD are looked up
/// here) and, for non-public routes, `Authorization` and `Cookie`. Only cacheable results are
/// remembered; unsafe and bypassed targets are classified afresh each time.
///
/// Invariant: `route(_:)` returns exactly what `RequestClassifier.classify` and
/// `CacheKeyBuilder.key` give for the same request (tested with generated requests).
final class RequestRouter {
    private struct Target: Hashable {
        let uri: String
        /// Values of `varyNames[0]` and of the rest (absent headers are nil).
        let firstVary: String?
        let otherVary: [String?]
    }

    private struct Cacheable {
        let match: RouteMatch
        let normalizedPath: String
        let key: String
        let route: CompiledRoute
    }

    /// The engine that answers this loop's requests: replaced by a reload (`adopt`), so
    /// requests routed after it are answered by the new configuration's engine while those in
    /// flight finish with the one they started with.
    private(set) var engine: CacheEngine
    private var classifier: RequestClassifier
    private var keys: CacheKeyBuilder
    private var routesByName: [String: CompiledRoute]
    /// Every header name some route varies on, lowercased, without duplicates.
    private(set) var varyNames: [String]
    private var memo: BoundedMemo<Target, Cacheable>
    private let capacity: Int
    private let maxBytes: Int
    /// `Accept-Encoding` value to whether it prefers gzip: clients send few distinct values.
    private var encodings = BoundedMemo<String, Bool>(capacity: 64)
    /// This loop's admission rule (`limits.max_requests_in_progress_per_loop`): the loop's
    /// connections admit through it and report each admitted request's response to it.
    var admission: LoadShedder

    /// Bytes of targets, keys and paths one router remembers at most (`memo`'s cost bound):
    /// with the head limit a target can be 32 KiB, so the count alone does not bound memory.
    static let maxRememberedBytes = 2 << 20

    /// What remembering `target` costs: its strings' bytes and a fixed overhead per entry.
    private static func cost(_ target: Target, _ cacheable: Cacheable) -> Int {
        var bytes = 160 + target.uri.utf8.count + cacheable.normalizedPath.utf8.count + cacheable.key.utf8.count
        bytes += target.firstVary?.utf8.count ?? 0
        for value in target.otherVary { bytes += 16 + (value?.utf8.count ?? 0) }
        return bytes
    }

    init(engine: CacheEngine, capacity: Int = 4096, maxBytes: Int = RequestRouter.maxRememberedBytes) {
        self.engine = engine
        self.classifier = engine.classifier
        self.keys = engine.keys
        self.routesByName = engine.routesByName
        self.varyNames = Self.varyNames(engine)
        self.memo = BoundedMemo(capacity: capacity, maxCost: maxBytes)
        self.capacity = capacity
        self.maxBytes = maxBytes
        self.admission = LoadShedder(maxInProgress: Self.admissionBound(engine))
    }

    /// Routes this loop's next requests with `engine` (a reloaded configuration): its routes,
    /// keys and vary headers, and none of the targets remembered under the old ones; its
    /// admission bound applies at once, the requests in progress staying counted.
    func adopt(_ engine: CacheEngine) {
        self.engine = engine
        admission.adopt(maxInProgress: Self.admissionBound(engine))
        classifier = engine.classifier
        keys = engine.keys
        routesByName = engine.routesByName
        varyNames = Self.varyNames(engine)
        memo = BoundedMemo(capacity: capacity, maxCost: maxBytes)
    }

    /// The configured bound, `Int.max` (never reached) when shedding is off (0).
    private static func admissionBound(_ engine: CacheEngine) -> Int {
        let bound = engine.configuration.maxRequestsInProgressPerLoop
        return bound > 0 ? bound : .max
    }

    private static func varyNames(_ engine: CacheEngine) -> [String] {
        var names: [String] = []
        for route in engine.routes {
            for name in route.rule.varyHeaders where !names.contains(name) { names.append(name) }
        }
        return names
    }

    var rememberedTargets: Int { memo.count }
    /// The remembered targets' cost in bytes (`cost(_:_:)`), at most `maxRememberedBytes`.
    var rememberedBytes: Int { memo.cost }

    func route(_ request: ProxyRequest) -> RoutedRequest {
        var routed = routeWithoutEncoding(request)
        if routed.key != nil { routed.prefersGzip = prefersGzip(request.head.headers.first(name: "accept-encoding")) }
        return routed
    }

    /// `AcceptEncoding.prefersGzip(header)`, remembered per distinct header value.
    func prefersGzip(_ header: String?) -> Bool {
        guard let header else { return false }
        if let known = encodings.value(for: header) { return known }
        let prefers = AcceptEncoding.prefersGzip(header)
        encodings.remember(prefers, for: header)
        return prefers
    }

    private func routeWithoutEncoding(_ request: ProxyRequest) -> RoutedRequest {
        let head = request.head
        guard head.method == .GET || head.method == .HEAD else { return classifyWithoutEncoding(request) }
        let target = Target(
            uri: head.uri,
            firstVary: varyNames.first.flatMap { head.headers.first(name: $0) },
            otherVary: varyNames.count > 1 ? varyNames.dropFirst().map { head.headers.first(name: $0) } : []
        )
        if let known = memo.value(for: target) {
            if !known.match.rule.isPublic {
                if head.headers.first(name: "authorization") != nil { return .bypass(.bypass(.authorization)) }
                if head.headers.first(name: "cookie") != nil { return .bypass(.bypass(.cookie)) }
            }
            return RoutedRequest(classification: .cacheable(known.match, normalizedPath: known.normalizedPath), key: known.key, route: known.route)
        }
        let routed = classifyWithoutEncoding(request)
        if case .cacheable(let match, let normalizedPath) = routed.classification, let key = routed.key, let route = routed.route {
            let cacheable = Cacheable(match: match, normalizedPath: normalizedPath, key: key, route: route)
            memo.remember(cacheable, for: target, cost: Self.cost(target, cacheable))
        }
        return routed
    }

    /// Classification, key, route and encoding preference without the memos.
    func classify(_ request: ProxyRequest) -> RoutedRequest {
        var routed = classifyWithoutEncoding(request)
        if routed.key != nil { routed.prefersGzip = AcceptEncoding.prefersGzip(request.head.headers.first(name: "accept-encoding")) }
        return routed
    }

    private func classifyWithoutEncoding(_ request: ProxyRequest) -> RoutedRequest {
        let head = request.head
        let target = request.target
        let classification = classifier.classify(method: head.method.rawValue, rawPath: String(target.path)) {
            head.headers.first(name: $0)
        }
        if case .originControlled(let match, _) = classification {
            return RoutedRequest(classification: classification, key: nil, route: routesByName[match.rule.name])
        }
        guard case .cacheable(let match, let normalizedPath) = classification, let route = routesByName[match.rule.name] else {
            return .bypass(classification)
        }
        let key = keys.key(for: match, path: normalizedPath, query: target.query) { head.headers.first(name: $0) }
        return RoutedRequest(classification: classification, key: key, route: route)
    }
}

/// One `RequestRouter` per event loop of a group, each handed out only on its own loop.
///
/// `@unchecked Sendable` because the dictionary is immutable after init and each router is
/// used only from its loop (`router(for:)` checks that the caller is on it).
final class LoopRouters: @unchecked Sendable {
    private let engine: CacheEngine
    private let routers: [ObjectIdentifier: RequestRouter]

    init(group: EventLoopGroup, engine: CacheEngine) {
        self.engine = engine
        var routers: [ObjectIdentifier: RequestRouter] = [:]
        for loop in group.makeIterator() { routers[ObjectIdentifier(loop)] = RequestRouter(engine: engine) }
        self.routers = routers
    }

    /// The router of `loop` (a router of its own for a loop outside the group); call on
    /// `loop` only.
    func router(for loop: EventLoop) -> RequestRouter {
        loop.preconditionInEventLoop()
        return routers[ObjectIdentifier(loop)] ?? RequestRouter(engine: engine)
    }

    /// Hands `engine` to every loop's router, each on its own loop; completes when all have it.
    /// A router made for a loop outside the group keeps the engine it was made with.
    func adopt(_ engine: CacheEngine, group: EventLoopGroup) -> EventLoopFuture<Void> {
        let adopted = group.makeIterator().map { loop in
            loop.submit { self.routers[ObjectIdentifier(loop)]?.adopt(engine) }
        }
        return EventLoopFuture.andAllSucceed(adopted, on: group.next())
    }
}
