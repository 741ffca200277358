import CatalogCacheCore
import CatalogCacheProxy
import CatalogHTTP
import CatalogTestSupport
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

/// Reloading the configuration (SIGHUP, `catalog-cache reload`, `POST /reload`) on a proxy
/// in front of real Redis: no connection, request in flight or hot-tier entry is lost, and a
/// route whose rules changed is never answered under the old ones.
@Suite(.enabled(if: TestServices.enabled), .serialized)
struct ReloadTests {
    /// The shipped configuration file with `edit` applied to its text.
    static func shippedText(_ edit: (String) -> String = { $0 }) throws -> String {
        edit(try String(contentsOfFile: TestServices.packageRoot.appendingPathComponent("config/catalog-cache.yaml").path, encoding: .utf8))
    }

    /// A configuration file of its own, re-read by every reload and pointed at the stack like
    /// `stack.configuration` (what flags and environment do in production).
    final class ConfigFile: Sendable {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("reload-\(UInt32.random(in: 0...UInt32.max)).yaml").path
        func write(_ text: String) throws { try text.write(toFile: path, atomically: true, encoding: .utf8) }
        func source(like running: ProxyConfiguration) -> @Sendable () throws -> ProxyConfiguration {
            let path = self.path
            return {
                var c = try ConfigurationLoader.load(path: path)
                (c.listen, c.adminListen, c.upstreamURL, c.redisURL, c.databaseURL, c.keyPrefix) =
                    (running.listen, running.adminListen, running.upstreamURL, running.redisURL, running.databaseURL, running.keyPrefix)
                (c.redisTimeoutMilliseconds, c.upstreamReadTimeoutMilliseconds, c.upstreamTotalTimeoutMilliseconds, c.hotTierBytes) =
                    (running.redisTimeoutMilliseconds, running.upstreamReadTimeoutMilliseconds, running.upstreamTotalTimeoutMilliseconds, running.hotTierBytes)
                c.redisTLSCAFile = running.redisTLSCAFile
                return c
            }
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    /// What the load's clients share.
    final class LoadState: Sendable {
        let stop = Stopper()
        let failures = Failures()
        let served = ServedCount()
    }
    final class Stopper: Sendable {
        private let flag = Atomic<Bool>(false)
        var isSet: Bool { flag.load(ordering: .relaxed) }
        func set() { flag.store(true, ordering: .relaxed) }
    }
    final class Failures: Sendable {
        private let list = Mutex<[String]>([])
        func withLock<T>(_ body: (inout [String]) -> T) -> T { list.withLock { body(&$0) } }
    }
    final class ServedCount: Sendable {
        private let count = Atomic<Int>(0)
        func increment() { count.add(1, ordering: .relaxed) }
        var value: Int { count.load(ordering: .relaxed) }
    }

    func startProxy(_ stack: Stack, file: ConfigFile, upstreamPort: Int? = nil, hotTier: Bool = true, clock: any CacheClock = SystemClock()) async throws -> RunningProxy {
        var configuration = try stack.configuration(feed: false, upstreamPort: upstreamPort)
        configuration.hotTierBytes = hotTier ? 8 << 20 : 0
        return try await stack.startProxy(configuration, clock: clock, configurationSource: file.source(like: configuration))
    }

    @Test func tenReloadsUnderLoadLoseNoRequestAndNoConnection() async throws {
        try await withStack(triggers: false) { stack in
            let file = ConfigFile()
            try file.write(try Self.shippedText())
            let proxy = try await startProxy(stack, file: file)
            let keepAlive = try RawHTTPClient(port: proxy.service.proxyPort)
            let paths = ["/store/hero-banners", "/store/regions", "/store/collections", "/store/products?limit=3", "/store/product-categories"]
            let load = LoadState()
            let (stop, failures, served) = (load.stop, load.failures, load.served)
            // Bounded load: eight clients, each one request at a time, until the reloads are done.
            let running = Task {
                await withTaskGroup(of: Void.self) { group in
                    for client in 0..<8 {
                        group.addTask {
                            var i = client
                            while !stop.isSet {
                                i += 1
                                do {
                                    let r = try await proxy.get(paths[i % paths.count])
                                    if r.head.status != .ok { failures.withLock { $0.append("\(paths[i % paths.count]): \(r.head.status.code)") } }
                                    served.increment()
                                } catch {
                                    failures.withLock { $0.append("\(error)") }
                                }
                            }
                        }
                    }
                }
            }
            for round in 1...10 {
                try await keepAlive.send("GET /store/hero-banners HTTP/1.1\r\nHost: t\r\n\r\n")
                let before = try await keepAlive.readResponse()
                #expect(before.statusCode == 200)
                let ttl = round % 2 == 0 ? 300 : 240
                try file.write(try Self.shippedText { $0.replacingOccurrences(of: "key: hero_banners:active\n    ttl: 300", with: "key: hero_banners:active\n    ttl: \(ttl)").replacingOccurrences(of: "cache_status_name: catalog-cache", with: "cache_status_name: gen-\(round + 1)") })
                let report = await proxy.service.reload()
                #expect(report.applied && report.generation == round + 1, "\(report.json)")
                try await keepAlive.send("GET /store/hero-banners HTTP/1.1\r\nHost: t\r\n\r\n")
                let after = try await keepAlive.readResponse()
                #expect(after.statusCode == 200)
                #expect(after.headers["cache-control"]?.hasPrefix("public, max-age=\(ttl),") == true)
                #expect(after.headers["cache-status"]?.hasPrefix("gen-\(round + 1);") == true)
            }
            stop.set()
            await running.value
            #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0.prefix(5) })")
            #expect(served.value > 0)
            #expect(proxy.metrics.configGeneration.current == 11)
            #expect(proxy.metrics.configReloads.count("applied") == 10)
            let metrics = try await proxy.adminGet("/metrics").text
            #expect(metrics.contains("catalog_cache_config_generation 11\n"))
            #expect(proxy.metrics.hotTierHits.count > 0)
        }
    }

    @Test func anEntryStoredUnderAnOldTTLOrKeyIsNotServedAfterTheRouteChanges() async throws {
        try await withStack(triggers: false) { stack in
            let gated = GatedUpstream()
            gated.open()
            let upstream = try await HTTPServer.start(host: "127.0.0.1", port: 0, group: TestServices.group, responder: gated)
            let file = ConfigFile()
            try file.write(try Self.shippedText())
            let proxy = try await startProxy(stack, file: file, upstreamPort: upstream.localPort)
            #expect(try await proxy.get("/store/hero-banners").xCache == "MISS")
            let hit = try await proxy.get("/store/hero-banners")
            #expect(hit.xCache == "HIT" && hit.text.contains("version 1"))
            // TTL 300 -> 30: the entry stored for 300 s must not be a hit under the new rules.
            try file.write(try Self.shippedText { $0.replacingOccurrences(of: "key: hero_banners:active\n    ttl: 300", with: "key: hero_banners:active\n    ttl: 30") })
            #expect(await proxy.service.reload().applied)
            let refetched = try await proxy.get("/store/hero-banners")
            #expect(refetched.xCache == "MISS" && refetched.text.contains("version 2"))
            #expect(refetched.header("cache-control")?.hasPrefix("public, max-age=30,") == true)
            #expect(try await proxy.get("/store/hero-banners").xCache == "HIT")
            #expect(gated.received == 2)
            // A new key template: a new key in Redis, filled once.
            try file.write(try Self.shippedText { $0.replacingOccurrences(of: "key: hero_banners:active\n    ttl: 300", with: "key: hero_banners:v2\n    ttl: 30") })
            #expect(await proxy.service.reload().applied)
            #expect(try await proxy.get("/store/hero-banners").xCache == "MISS")
            #expect(try await proxy.get("/store/hero-banners").xCache == "HIT")
            #expect(gated.received == 3)
            #expect(try await stack.redisKeys().contains("\(stack.keyPrefix)hero_banners:v2"))
            try await upstream.shutdown()
        }
    }

    @Test func aBadFileKeepsTheRunningConfigurationAndSaysWhy() async throws {
        try await withStack(triggers: false) { stack in
            let file = ConfigFile()
            try file.write(try Self.shippedText())
            let proxy = try await startProxy(stack, file: file)
            #expect(try await proxy.get("/store/regions").head.status == .ok)
            try file.write(try Self.shippedText { $0.replacingOccurrences(of: "ttl: 3600", with: "ttl: soon") })
            let refused = await proxy.service.reload()
            #expect(!refused.applied && refused.generation == 1)
            #expect(refused.error?.contains("ttl") == true && refused.error?.contains("integer") == true, "\(refused.error ?? "")")
            #expect(try await proxy.get("/store/regions").xCache == "HIT")
            #expect(proxy.metrics.configReloads.count("failed") == 1)
            // The same through the admin port: 400 with the reason, then 200 once fixed.
            let admin = try RawHTTPClient(port: proxy.service.adminPort)
            try await admin.send("POST /reload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n")
            let bad = try await admin.readResponse()
            #expect(bad.statusCode == 400 && bad.body.contains("\"applied\":false") && bad.body.contains("invalid_configuration"))
            try file.write(try Self.shippedText { $0.replacingOccurrences(of: "max_connections: 10000", with: "max_connections: 9000") })
            try await admin.send("POST /reload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n")
            let good = try await admin.readResponse()
            #expect(good.statusCode == 200 && good.body.contains("\"generation\":2") && good.body.contains("\"kept_for_restart\":[\"limits.max_connections\"]"), "\(good.body)")
        }
    }

    @Test func sighupAndTheReloadCommandReloadAServingProcess() async throws {
        let file = ConfigFile()
        try file.write(try Self.shippedText())
        let serve = try await ServeProcess(config: file.path, upstream: "http://127.0.0.1:1")
        defer { serve.stop() }
        let (port, adminPort) = (serve.port, serve.adminPort)
        func generation() async -> String? {
            await serve.admin("/metrics")?.body.split(separator: "\n").first { $0.hasPrefix("catalog_cache_config_generation ") }.map(String.init)
        }
        #expect(await eventually(seconds: 30) { await generation() == "catalog_cache_config_generation 1" })
        let connection = try RawHTTPClient(port: port)
        serve.signal(SIGHUP)
        #expect(await eventually(seconds: 10) { await generation() == "catalog_cache_config_generation 2" })
        #expect(serve.isRunning, "SIGHUP must not end the process")
        let cli = try await CommandLineTests().run(["reload", "--admin", "http://127.0.0.1:\(adminPort)"])
        #expect(cli.status == 0 && cli.stdout.contains("\"generation\":3"), "\(cli.stderr)")
        let byPid = try await CommandLineTests().run(["reload", "--pid", "\(serve.pid)"])
        #expect(byPid.status == 0)
        #expect(await eventually(seconds: 10) { await generation() == "catalog_cache_config_generation 4" })
        try file.write("routes: [")
        let refused = try await CommandLineTests().run(["reload", "--admin", "http://127.0.0.1:\(adminPort)"])
        #expect(refused.status == 1 && refused.stderr.contains("not valid YAML"), "\(refused.stderr)")
        // The connection opened before the reloads still serves.
        try await connection.send("GET /store/carts/x HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try await connection.readResponse().statusCode == 502)
        serve.signal(SIGTERM)
        #expect(await eventually(seconds: 30) { !serve.isRunning })
    }
}
