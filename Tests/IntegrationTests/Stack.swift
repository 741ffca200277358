import CatalogCacheCore
@testable import CatalogCacheProxy
import CatalogHTTP
import CatalogTestSupport
import CatalogOrigin
import CatalogPostgres
import CatalogRedis
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import Testing

/// Where the throwaway services started by `scripts/test` are.
enum TestServices {
    static let env = ProcessInfo.processInfo.environment
    static var databaseURL: String? { env["CATALOG_TEST_DATABASE_URL"] }
    static var redisURL: String? { env["CATALOG_TEST_REDIS_URL"] }
    /// The CA of the TLS Redis and TLS cluster `scripts/services` starts, used when ``redisURL`` is TLS.
    static var redisCAFile: String? { env["CATALOG_TEST_REDIS_TLS_CA"] }

    /// The test Redis as a client configuration (trusting the test CA over TLS).
    static func redisConfiguration(_ url: String) throws -> RedisConfiguration {
        var configuration = try RedisConfiguration.parse(url: url)
        configuration.tls?.caFile = redisCAFile
        return configuration
    }
    /// The store's Redis is a cluster (`scripts/test` reruns some suites on each topology).
    static var isCluster: Bool { redisURL.map { $0.hasPrefix("redis-cluster://") || $0.hasPrefix("rediss-cluster://") } ?? false }
    /// The store's Redis is reached over TLS (then ``redisCAFile`` is its CA).
    static var isTLS: Bool { (try? redisURL.map { try RedisConfiguration.parse(url: $0).tls != nil }) == true }
    /// Run when the services are there, or when they are required (then a missing one fails).
    static var enabled: Bool { (databaseURL != nil && redisURL != nil) || env["CATALOG_REQUIRE_SERVICES"] == "1" }
    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}

struct ServicesMissing: Error, CustomStringConvertible {
    var description: String { "CATALOG_TEST_DATABASE_URL and CATALOG_TEST_REDIS_URL are not set: run the tests with scripts/test" }
}

/// A database of its own with the reference catalog, the origin serving it, and proxies in front.
final class Stack: Sendable {
    let databaseName: String
    let databaseURL: String
    let adminURL: String
    let redisURL: String
    let origin: OriginService
    let originClient: UpstreamPool
    let redis: RedisClient
    let keyPrefix: String
    /// Bearer token of the seeded admin; `RunningProxy.request` sends it on `/admin` paths.
    let adminToken: String
    private let proxies = Mutex<[RunningProxy]>([])

    /// The seeded admin (few PBKDF2 rounds: debug builds hash slowly).
    static let admin = AdminAccount(iterations: 1_000)

    static func start(products: Int = 300, triggers: Bool = true) async throws -> Stack {
        guard let adminURL = TestServices.databaseURL, let redisURL = TestServices.redisURL else { throw ServicesMissing() }
        let name = "cc_it_\(UInt32.random(in: 0...UInt32.max))"
        let url = String(adminURL[..<adminURL.lastIndex(of: "/")!]) + "/\(name)"
        try await offThePool {
            let admin = try PostgresConnection(url: adminURL)
            _ = try admin.execute("CREATE DATABASE \(name)")
            admin.close()
            let conn = try PostgresConnection(url: url)
            defer { conn.close() }
            _ = try Migrator.migrate(conn)
            _ = try CatalogSeeder(products: products, admin: Stack.admin).run(conn)
            if triggers {
                let configuration = try ConfigurationLoader.load(path: TestServices.packageRoot.appendingPathComponent("config/catalog-cache.yaml").path)
                _ = try TriggerInstaller.install(connection: conn, tables: configuration.tables, channel: configuration.notifyChannel)
            }
        }
        let storefront = StorefrontConfiguration(
            redis: RedisClient(configuration: try TestServices.redisConfiguration(redisURL), group: TestServices.group),
            keyPrefix: "\(name)-origin:")
        let origin = try await OriginService.start(
            databaseURL: url, host: "127.0.0.1", port: 0, poolSize: 4, group: TestServices.group, storefront: storefront)
        let originClient = UpstreamPool(endpoint: try UpstreamEndpoint.parse("http://127.0.0.1:\(origin.localPort)"), configuration: UpstreamPoolConfiguration(), group: TestServices.group)
        let redis = RedisClient(configuration: try TestServices.redisConfiguration(redisURL), group: TestServices.group)
        var login = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/auth/user/emailpass")
        login.headers.add(name: "Content-Type", value: "application/json")
        let body = #"{"email":"\#(admin.email)","password":"\#(admin.password)"}"#
        let answer = try await originClient.execute(UpstreamRequest(head: login, body: ByteBuffer(string: body)), on: TestServices.group.next()).get()
        let token = (try? JSONSerialization.jsonObject(with: Data(answer.body.readableBytesView)) as? [String: Any])?["token"] as? String ?? ""
        return Stack(databaseName: name, databaseURL: url, adminURL: adminURL, redisURL: redisURL, origin: origin, originClient: originClient, redis: redis, keyPrefix: "\(name):", adminToken: token)
    }

    private init(databaseName: String, databaseURL: String, adminURL: String, redisURL: String, origin: OriginService, originClient: UpstreamPool, redis: RedisClient, keyPrefix: String, adminToken: String) {
        self.databaseName = databaseName
        self.databaseURL = databaseURL
        self.adminURL = adminURL
        self.redisURL = redisURL
        self.origin = origin
        self.originClient = originClient
        self.redis = redis
        self.keyPrefix = keyPrefix
        self.adminToken = adminToken
    }

    /// The shipped configuration pointed at this stack; each stack has its own key prefix.
    func configuration(feed: Bool = true, redis: Bool = true, upstreamPort: Int? = nil) throws -> ProxyConfiguration {
        var c = try ConfigurationLoader.load(path: TestServices.packageRoot.appendingPathComponent("config/catalog-cache.yaml").path)
        c.listen = ListenAddress(host: "127.0.0.1", port: 0)
        c.adminListen = ListenAddress(host: "127.0.0.1", port: 0)
        c.upstreamURL = "http://127.0.0.1:\(upstreamPort ?? origin.localPort)"
        c.redisURL = redis ? redisURL : nil
        c.redisTLSCAFile = TestServices.isTLS ? TestServices.redisCAFile : nil
        c.databaseURL = feed ? databaseURL : nil
        c.keyPrefix = keyPrefix
        c.redisTimeoutMilliseconds = 5000  // a loaded CI machine must not turn hits into fail-open misses
        c.upstreamReadTimeoutMilliseconds = 5000
        c.upstreamTotalTimeoutMilliseconds = 10000
        return c
    }

    /// Starts a proxy; with a feed configured, waits until it listens unless `waitForFeed` is false.
    func startProxy(_ configuration: ProxyConfiguration, clock: any CacheClock = SystemClock(), waitForFeed: Bool = true, configurationSource: (@Sendable () throws -> ProxyConfiguration)? = nil) async throws -> RunningProxy {
        var logger = Logger(label: "test-proxy")
        logger.logLevel = .warning
        let service = try await ProxyService.start(configuration: configuration, group: TestServices.group, clock: clock, logger: logger, configurationSource: configurationSource)
        var clientConfiguration = UpstreamPoolConfiguration()
        clientConfiguration.maxConnectionsPerEventLoop = 256  // enough for stampede tests
        let client = UpstreamPool(endpoint: try UpstreamEndpoint.parse("http://127.0.0.1:\(service.proxyPort)"), configuration: clientConfiguration, group: TestServices.group)
        let admin = UpstreamPool(endpoint: try UpstreamEndpoint.parse("http://127.0.0.1:\(service.adminPort)"), configuration: UpstreamPoolConfiguration(), group: TestServices.group)
        let proxy = RunningProxy(service: service, client: client, admin: admin, adminToken: adminToken)
        proxies.withLock { $0.append(proxy) }
        if configuration.databaseURL != nil && waitForFeed { try await proxy.waitUntilListening() }
        return proxy
    }

    /// Runs SQL on the stack's database (like psql would), off the cooperative pool.
    func sql(_ statement: String, _ params: [String?] = []) async throws -> PostgresResult {
        let url = databaseURL
        return try await offThePool {
            let conn = try PostgresConnection(url: url)
            defer { conn.close() }
            return try conn.query(statement, params)
        }
    }

    /// The store the proxy would use on the test Redis's topology (the cluster one on a cluster),
    /// its waiting fills woken through `subscriber` when given.
    func makeStore(subscriber: RedisSubscriber? = nil) -> any CacheStore {
        if case .cluster = redis.configuration.topology { return ClusterCacheStore(client: redis, prefix: keyPrefix, subscriber: subscriber) }
        return RedisCacheStore(client: redis, prefix: keyPrefix, subscriber: subscriber)
    }

    /// The Redis key the store keeps the entry `key` under (on a cluster, with its hash tag).
    func storedKey(_ key: String) -> String {
        if case .cluster = redis.configuration.topology { return ClusterCacheStore(client: redis, prefix: keyPrefix).entryKey(key) }
        return key
    }

    /// The Redis key of the fill lock of the entry `key`.
    func storedLockKey(_ key: String) -> String {
        if case .cluster = redis.configuration.topology { return ClusterCacheStore(client: redis, prefix: keyPrefix).lockKey(key) }
        return RedisCacheStore(client: redis, prefix: keyPrefix).lockKey(key)
    }

    /// Every key under this stack's prefix (on a cluster, asked of each primary).
    func redisKeys() async throws -> [String] {
        let loop = TestServices.group.next()
        guard case .cluster = redis.configuration.topology else {
            let reply = try await redis.send(RedisCommand("KEYS", "\(keyPrefix)*"), on: loop).get()
            return (reply.array ?? []).compactMap(\.string).sorted()
        }
        var primaries: Set<RedisAddress> = []
        for range in try await redis.send(RedisCommand("CLUSTER", "SLOTS"), on: loop).get().array ?? [] {
            guard let node = range.array?[2].array, let host = node[0].string, let port = node[1].integer else { continue }
            primaries.insert(RedisAddress(host: host, port: Int(port)))
        }
        var keys: [String] = []
        for primary in primaries {
            var configuration = redis.configuration
            (configuration.topology, configuration.host, configuration.port) = (.single, primary.host, primary.port)
            let connection = try await RedisConnection.connect(configuration: configuration, on: loop).get()
            keys += (try await connection.send(RedisCommand("KEYS", "\(keyPrefix)*")).get().array ?? []).compactMap(\.string)
            try? await connection.close().get()
        }
        return keys.sorted()
    }

    func shutdown() async {
        for proxy in proxies.withLock({ $0 }) { await proxy.stop() }
        try? await origin.shutdown()
        try? await originClient.shutdown().get()
        await redis.shutdown()
        let (adminURL, databaseName) = (self.adminURL, self.databaseName)
        try? await offThePool {
            let admin = try PostgresConnection(url: adminURL)
            _ = try? admin.execute("DROP DATABASE IF EXISTS \(databaseName) WITH (FORCE)")
            admin.close()
        }
    }
}

/// One proxy instance and clients for its two ports.
struct RunningProxy: Sendable {
    let service: ProxyService
    let client: UpstreamPool
    let admin: UpstreamPool
    let adminToken: String

    var metrics: ProxyMetrics { service.metrics }

    /// One request through the proxy; `/admin` requests without an `Authorization` header get
    /// the stack admin's bearer token.
    func request(_ method: HTTPMethod, _ uri: String, headers: [(String, String)] = [], body: String? = nil) async throws -> UpstreamResponse {
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: uri)
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        if uri.hasPrefix("/admin"), !head.headers.contains(name: "authorization") {
            head.headers.add(name: "Authorization", value: "Bearer \(adminToken)")
        }
        if body != nil { head.headers.add(name: "Content-Type", value: "application/json") }
        return try await client.execute(UpstreamRequest(head: head, body: body.map { ByteBuffer(string: $0) }), on: TestServices.group.next()).get()
    }

    func get(_ uri: String, _ headers: [(String, String)] = []) async throws -> UpstreamResponse {
        try await request(.GET, uri, headers: headers)
    }

    func adminGet(_ path: String) async throws -> UpstreamResponse {
        try await admin.execute(UpstreamRequest(head: HTTPRequestHead(version: .http1_1, method: .GET, uri: path), body: nil), on: TestServices.group.next()).get()
    }

    func waitUntilListening() async throws {
        for _ in 0..<200 {
            if service.feed.state == "listening" { return }
            try await Task.sleep(for: .milliseconds(25))
        }
        Issue.record("the invalidation feed did not start listening")
    }

    func stop() async {
        try? await client.shutdown().get()
        try? await admin.shutdown().get()
        await service.shutdown()
    }
}

extension UpstreamResponse {
    var text: String { String(buffer: body) }
    func header(_ name: String) -> String? { head.headers.first(name: name) }
    var xCache: String? { header("x-cache") }
    var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] }
}

/// Polls `condition` for up to `seconds` (the feed is asynchronous by nature; no timing is asserted).
func eventually(seconds: Double = 5, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return try await condition()
}

/// Runs `body` with a fresh stack and always tears it down (proxies, origin, database).
func withStack(products: Int = 300, triggers: Bool, _ body: (Stack) async throws -> Void) async throws {
    let stack = try await Stack.start(products: products, triggers: triggers)
    do {
        try await body(stack)
    } catch {
        await stack.shutdown()
        throw error
    }
    await stack.shutdown()
}
