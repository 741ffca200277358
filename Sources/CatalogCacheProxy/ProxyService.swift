import CatalogCacheCore
import CatalogHTTP
import CatalogPostgres
import Foundation
import CatalogRedis
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A running proxy instance: the proxy port, the admin port, the store and the upstream pool.
public final class ProxyService: Sendable {
    /// The live configuration (changed by `reload`).
    public var configuration: ProxyConfiguration { engine.configuration }
    /// The engine new requests are routed to (replaced by `reload`).
    public var engine: CacheEngine { live.withLock { $0.engine } }
    /// The live engine and its configuration generation (1 at start, +1 per applied reload).
    let live: Mutex<(engine: CacheEngine, generation: Int)>
    /// Where `reload()` reads the configuration from (the file, environment and flags again).
    let configurationSource: (@Sendable () throws -> ProxyConfiguration)?
    let routers: LoopRouters
    let group: EventLoopGroup
    let logger: Logger
    public let metrics: ProxyMetrics
    private let proxyChannel: Channel
    private let adminServer: HTTPServer
    private let upstream: UpstreamPool
    public let feed: InvalidationFeedStatus
    private let invalidationFeed: InvalidationFeed?
    private let notifier: PostgresPool?
    private let feedGroup: EventLoopGroup
    private let feedStore: any CacheStore
    private let stats: StatsReport
    private let stopping = Atomic<Bool>(false)
    private let drainingFlag = Atomic<Bool>(false)
    /// True from `drain(for:)` on: `/readyz` answers 503.
    public var isDraining: Bool { drainingFlag.load(ordering: .relaxed) }
    /// The live configuration generation (1 at start, +1 per applied reload).
    public var configurationGeneration: Int { live.withLock { $0.generation } }
    /// The routers' adoption of the last reloaded engine (`reload` waits for it).
    let adopted = Mutex<EventLoopFuture<Void>?>(nil)
    /// Open connections on the proxy port (bounded; drained at shutdown).
    public let connections: ConnectionRegistry
    /// Purges the configured edges after each invalidation; nil without `cdn.targets`.
    public let purger: EdgePurger?
    /// `GET /admin/events` streams; nil when `admin_events.enabled` is false.
    public let adminEvents: AdminEventStreams?

    /// The bound proxy port (useful with port 0).
    public var proxyPort: Int { proxyChannel.localAddress?.port ?? configuration.listen.port }
    public var adminPort: Int { adminServer.localPort }

    private init(engine: CacheEngine, configurationSource: (@Sendable () throws -> ProxyConfiguration)?, routers: LoopRouters, group: EventLoopGroup, logger: Logger, metrics: ProxyMetrics, proxyChannel: Channel, adminServer: HTTPServer, upstream: UpstreamPool, feed: InvalidationFeedStatus, invalidationFeed: InvalidationFeed?, notifier: PostgresPool?, feedGroup: EventLoopGroup, feedStore: any CacheStore, stats: StatsReport, connections: ConnectionRegistry, purger: EdgePurger?, adminEvents: AdminEventStreams?) {
        self.purger = purger
        self.adminEvents = adminEvents
        self.live = Mutex((engine, 1))
        self.configurationSource = configurationSource
        self.routers = routers
        self.group = group
        self.logger = logger
        self.metrics = metrics
        self.proxyChannel = proxyChannel
        self.adminServer = adminServer
        self.upstream = upstream
        self.feed = feed
        self.invalidationFeed = invalidationFeed
        self.notifier = notifier
        self.feedGroup = feedGroup
        self.feedStore = feedStore
        self.stats = stats
        self.connections = connections
    }

    /// The Redis store for `client`'s topology: on Redis Cluster the one whose every step
    /// stays within one slot, elsewhere the single-script one.
    /// `subscriber`: wakes fills waiting for another instance's (the request path's store only).
    static func redisStore(client: RedisClient, configuration: ProxyConfiguration, subscriber: RedisSubscriber? = nil) -> any CacheStore {
        if case .cluster = client.configuration.topology {
            return ClusterCacheStore(client: client, prefix: configuration.keyPrefix, tagSetLifetimeMilliseconds: configuration.longestEntryLifetimeMilliseconds, subscriber: subscriber)
        }
        return RedisCacheStore(client: client, prefix: configuration.keyPrefix, tagSetLifetimeMilliseconds: configuration.longestEntryLifetimeMilliseconds, subscriber: subscriber)
    }

    /// Starts everything the configuration asks for. Warns loudly when there is no Redis
    /// (bounded in-process store) or no database (no invalidation feed, TTLs only).
    /// `configurationSource` is what `reload()` reads (nil: reloads are refused).
    public static func start(configuration: ProxyConfiguration, group: EventLoopGroup, clock: any CacheClock = SystemClock(), logger: Logger, configurationSource: (@Sendable () throws -> ProxyConfiguration)? = nil) async throws -> ProxyService {
        // Before anything is started: an admin port reachable from other hosts needs a token.
        if let problem = configuration.adminExposureProblem { throw ConfigurationError(field: "admin.token", message: problem) }
        let metrics = ProxyMetrics(routeNames: configuration.routes.map(\.name))
        metrics.configGeneration.set(1)
        let store: any CacheStore
        // The invalidation feed gets an event loop (and Redis connection) of its own, so
        // applying a notification never queues behind request traffic.
        let feedGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var feedStore: any CacheStore
        var redisClients: [RedisClient] = []
        if let url = configuration.redisURL {
            var redisConfiguration = try configuration.redisConfiguration(url: url)
            redisConfiguration.commandTimeout = .milliseconds(Int64(configuration.redisTimeoutMilliseconds))
            redisConfiguration.connectTimeout = .milliseconds(Int64(max(configuration.redisTimeoutMilliseconds, 500)))
            if case .cluster = redisConfiguration.topology, let problem = ClusterCacheStore.keyPrefixProblem(configuration.keyPrefix) {
                throw ConfigurationError(field: "store.key_prefix", message: problem)
            }
            // Loads the TLS files once, and refuses to start when they cannot be loaded.
            let connector = try RedisConnector(configuration: redisConfiguration)
            // The request path's store fails fast while Redis keeps failing (the feed's does not:
            // an invalidation must be attempted, not skipped).
            let requestRedis = RedisClient(connector: connector, group: group)
            redisClients.append(requestRedis)
            // One pub/sub connection: fills waiting for another instance's are woken by its message.
            let subscriber = RedisSubscriber(connector: connector, eventLoop: group.next())
            subscriber.start()
            store = CircuitBreakerStore(
                wrapping: Self.redisStore(client: requestRedis, configuration: configuration, subscriber: subscriber),
                policy: CircuitBreakerPolicy(failureThreshold: configuration.circuitBreakerFailures, coolDownMilliseconds: Int64(configuration.circuitBreakerCoolDownMilliseconds)),
                clock: clock, metrics: metrics, logger: logger
            )
            var feedRedisConfiguration = redisConfiguration
            feedRedisConfiguration.commandTimeout = .seconds(5)
            let client = RedisClient(configuration: feedRedisConfiguration, group: feedGroup)
            redisClients.append(client)
            feedStore = Self.redisStore(client: client, configuration: configuration)
            logger.info("store: redis \(url), key prefix \"\(configuration.keyPrefix)\"")
        } else {
            store = MemoryCacheStore(maxBytes: configuration.memoryStoreMaxBytes, clock: clock)
            feedStore = store
            logger.warning("NO REDIS URL: using the bounded in-process store (\(configuration.memoryStoreMaxBytes) bytes); entries are not shared between instances. Set --redis or CACHE_REDIS_URL.")
        }
        for client in redisClients {
            client.onClusterRedirect { redirect in metrics.redisClusterRedirects.increment(redirect.kind) }
        }
        let endpoint = try UpstreamEndpoint.parse(configuration.upstreamURL)
        var poolConfiguration = UpstreamPoolConfiguration()
        poolConfiguration.connectTimeout = .milliseconds(Int64(configuration.upstreamConnectTimeoutMilliseconds))
        poolConfiguration.readTimeout = .milliseconds(Int64(configuration.upstreamReadTimeoutMilliseconds))
        poolConfiguration.totalTimeout = .milliseconds(Int64(configuration.upstreamTotalTimeoutMilliseconds))
        poolConfiguration.maxConnectionsPerEventLoop = configuration.upstreamMaxConnectionsPerLoop
        poolConfiguration.maxIdleConnectionsPerEventLoop = configuration.upstreamMaxConnectionsPerLoop
        if endpoint.usesTLS {
            let tls = try UpstreamTLS(options: configuration.upstreamTLS, host: endpoint.host)
            poolConfiguration.channelSetup = { try tls.setUp($0) }
            logger.info("upstream TLS: verified against \(configuration.upstreamTLS.caFile ?? "the system's trust store"), name \(tls.serverName ?? "\(endpoint.host) (IP SAN)")\(configuration.upstreamTLS.clientCertificateFile.map { ", client certificate \($0)" } ?? "")")
        } else if configuration.upstreamTLS != UpstreamTLS.Options() {
            logger.warning("upstream.tls_* are ignored: the upstream URL is http://, not https://")
        }
        let upstream = UpstreamPool(endpoint: endpoint, configuration: poolConfiguration, group: group)
        let feed = InvalidationFeedStatus(configured: configuration.databaseURL != nil)
        let fills = FillCoordinator()
        let gate = InvalidationGate(flights: fills)
        let tokens = WriteTokens(instance: "\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        var barrier: WriteBarrier?
        var notifier: PostgresPool?
        if let databaseURL = configuration.databaseURL {
            let pool = PostgresPool(url: databaseURL, size: 2)
            notifier = pool
            barrier = WriteBarrier(tokens: tokens, notifier: pool, channel: configuration.notifyChannel, status: feed, metrics: metrics, timeout: .seconds(2), logger: logger, gate: gate)
        } else {
            logger.warning("NO DATABASE URL: no invalidation feed; cached entries live until their TTL. Set --database-url or DATABASE_URL.")
        }
        var hotTier: HotTier?
        if configuration.hotTierBytes > 0 {
            if configuration.redisURL != nil {
                hotTier = HotTier(maxBytes: configuration.hotTierBytes)
                logger.info("hot tier: \(configuration.hotTierBytes) bytes in front of Redis")
            } else {
                logger.warning("hot_tier_bytes is ignored without Redis: the in-process store already is in process")
            }
        }
        let engine = CacheEngine(configuration: configuration, store: store, upstream: upstream, metrics: metrics, clock: clock, fills: fills, gate: gate, writeBarrier: barrier, hotTier: hotTier, feedStatus: configuration.databaseURL != nil ? feed : nil, logger: logger)
        var invalidationFeed: InvalidationFeed?
        var observers: [any InvalidationObserver] = []
        var purger: EdgePurger?
        if !configuration.purge.targets.isEmpty {
            if configuration.databaseURL == nil {
                logger.warning("cdn: purge targets are configured but there is no invalidation feed (no database URL): nothing will be purged")
            }
            let edge = try EdgePurger(configuration: configuration.purge, fallbackTags: configuration.everyFixedTag, group: feedGroup, metrics: metrics.edge, logger: logger)
            purger = edge
            observers.append(edge)
        }
        var adminEvents: AdminEventStreams?
        if configuration.adminEvents.enabled {
            let streams = AdminEventStreams(configuration: configuration.adminEvents, upstream: upstream, metrics: metrics.edge, bytesSent: metrics.clientBytesSent, logger: logger)
            adminEvents = streams
            observers.append(streams)
            if configuration.databaseURL == nil {
                logger.warning("admin events: GET /admin/events is served but no event will come without an invalidation feed (no database URL)")
            }
        }
        if let databaseURL = configuration.databaseURL {
            let applier = InvalidationApplier(configuration: configuration, store: feedStore, gate: gate, metrics: metrics, tokens: tokens, clock: clock, loop: feedGroup.next(), logger: logger, hotTier: hotTier, observers: observers)
            // A Sentinel failover can lose drops the old primary acknowledged but had not
            // replicated. Either client noticing the move closes the gate over everything at
            // once (before the new primary's first answer is used), makes the other client
            // connect again (so the feed's drops go where the requests now read, not to an old
            // primary not yet demoted), then every mapped tag is dropped there, off the event
            // loop (the drop blocks), and the gate opens.
            let clients = redisClients
            for client in clients {
                client.onPrimaryChange { address in
                    gate.begin(tags: [], keys: [], all: true)
                    logger.warning("store: the Redis primary moved to \(address); invalidating every mapped tag")
                    if case .sentinel = client.configuration.topology {
                        for other in clients where other !== client { other.reconnect() }
                    }
                    Thread.detachNewThread {
                        applier.invalidateEverything()
                        gate.end(tags: [], keys: [], all: true)
                    }
                }
            }
            let started = InvalidationFeed(configuration: configuration, databaseURL: databaseURL, applier: applier, status: feed, metrics: metrics, logger: logger)
            started.start()
            invalidationFeed = started
        }

        let maxBody = configuration.maxRequestBodyBytes
        let connections = ConnectionRegistry(maxConnections: configuration.maxConnections, metrics: metrics)
        let timeouts = ConnectionTimeouts(configuration)
        let routers = LoopRouters(group: group, engine: engine)
        let proxyChannel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard connections.admit(channel) else {
                        try channel.pipeline.syncOperations.addHandler(RejectConnectionHandler())
                        return
                    }
                    let deadlines = ConnectionDeadlineHandler(timeouts: timeouts, metrics: metrics)
                    try channel.pipeline.syncOperations.addHandler(deadlines)
                    try ProxyHTTPHandler.install(on: channel.pipeline.syncOperations, engine: engine, maxBodyBytes: maxBody, deadlines: deadlines, router: routers.router(for: channel.eventLoop), adminEvents: adminEvents)
                }
            }
            .bind(host: configuration.listen.host, port: configuration.listen.port)
            .get()
        let reference = ServiceReference()
        let readiness = ReadinessProbe(store: store, upstream: upstream, feed: configuration.databaseURL != nil ? feed : nil, group: group, service: reference)
        let stats = StatsReport(metrics: metrics, feed: feed, store: store, configuration: configuration, adminEvents: adminEvents)
        let adminServer: HTTPServer
        do {
            let adminLimits = HTTPServerLimits(
                maxConnections: configuration.adminMaxConnections,
                idleTimeout: .milliseconds(Int64(configuration.idleTimeoutMilliseconds)),
                requestTimeout: .milliseconds(Int64(configuration.headerTimeoutMilliseconds)),
                maxHeaderFieldBytes: configuration.maxHeaderFieldBytes, maxHeadBytes: configuration.maxRequestHeadBytes
            )
            adminServer = try await HTTPServer.start(
                host: configuration.adminListen.host, port: configuration.adminListen.port, group: group, maxBodySize: 64 * 1024, limits: adminLimits,
                responder: AdminAccessGuard(policy: configuration.adminAccessPolicy, metrics: metrics, wrapped: AdminResponder(metrics: metrics, readiness: readiness, stats: stats, reload: reference))
            )
        } catch {
            try? await proxyChannel.close()
            throw error
        }
        stats.start(on: feedGroup.next())
        logger.info("proxy listening on \(configuration.listen.host):\(proxyChannel.localAddress?.port ?? 0), admin on \(configuration.adminListen.host):\(adminServer.localPort), upstream \(configuration.upstreamURL)", metadata: [
            "event": "started", "listen": "\(configuration.listen.host):\(proxyChannel.localAddress?.port ?? 0)",
            "admin": "\(configuration.adminListen.host):\(adminServer.localPort)", "upstream": .string(configuration.upstreamURL),
            "store": .string(store.kind), "feed": .string(feed.state), "routes": .stringConvertible(configuration.routes.count),
            "threads": .stringConvertible(configuration.threads),
        ])
        let service = ProxyService(engine: engine, configurationSource: configurationSource, routers: routers, group: group, logger: logger, metrics: metrics, proxyChannel: proxyChannel, adminServer: adminServer, upstream: upstream, feed: feed, invalidationFeed: invalidationFeed, notifier: notifier, feedGroup: feedGroup, feedStore: feedStore, stats: stats, connections: connections, purger: purger, adminEvents: adminEvents)
        reference.set(service)
        return service
    }

    /// The first step of a graceful stop: `/readyz` answers 503 (draining) for `delay` while
    /// the listener still accepts and serves, so a load balancer stops sending before
    /// connections are refused. `shutdown(grace:)` follows.
    public func drain(for delay: Duration) async {
        drainingFlag.store(true, ordering: .relaxed)
        if delay > .zero { try? await Task.sleep(for: delay) }
    }

    /// Stops accepting (the listening socket is closed, so new connections are refused),
    /// lets requests in progress finish for up to `grace` (idle keep-alive connections close
    /// at once, busy ones after their response), then closes the listeners, the pool and the store.
    /// Idempotent: only the first call does anything (a second signal, a test's cleanup).
    public func shutdown(grace: Duration = .zero) async {
        guard !stopping.exchange(true, ordering: .relaxed) else { return }
        try? await proxyChannel.close()
        // Event streams never end by themselves: close them so the drain does not wait for them.
        adminEvents?.closeAll()
        _ = await connections.drain(grace: grace)
        // Refreshes waiting for a slot would only start fetches the pool is about to refuse.
        engine.dropWaitingRefreshes()
        invalidationFeed?.stop()
        await purger?.shutdown()
        await notifier?.shutdown()
        stats.stop()
        try? await adminServer.shutdown()
        try? await upstream.shutdown().get()
        await engine.store.shutdown()
        if feedStore !== engine.store { await feedStore.shutdown() }
        try? await feedGroup.shutdownGracefully()
    }
}

/// The wall clock in milliseconds since the Unix epoch.
public struct SystemClock: CacheClock {
    public init() {}
    public func nowMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
