import CatalogTestSupport
import CatalogCacheProxy
import Foundation
import Testing

/// The `catalog-cache` executable as an operator runs it.
@Suite(.enabled(if: TestServices.enabled), .serialized)
struct CommandLineTests {
    static let binary = TestServices.packageRoot.appendingPathComponent(".build/debug/catalog-cache").path
    static let originBinary = TestServices.packageRoot.appendingPathComponent(".build/debug/catalog-origin").path

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    func run(_ arguments: [String], environment: [String: String] = [:], binary: String = Self.binary) async throws -> Run {
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build first: \(binary)")
        return try await offThePool { try Self.runBlocking(arguments, environment: environment, binary: binary) }
    }

    static func runBlocking(_ arguments: [String], environment: [String: String], binary: String = Self.binary) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.currentDirectoryURL = TestServices.packageRoot
        var env = ProcessInfo.processInfo.environment
        for name in ["UPSTREAM_URL", "CACHE_REDIS_URL", "DATABASE_URL"] { env[name] = nil }
        env.merge(environment) { $1 }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    @Test func theOriginRefusesAStatementCacheOutOfRangeInOneLine() async throws {
        for value in ["-1", "10001", "many"] {
            let r = try await run(["serve", "--database-url", "postgres://127.0.0.1:1/none", "--statement-cache", value], binary: Self.originBinary)
            #expect(r.status != 0)
            #expect(r.stderr.contains("statement-cache"), "\(value): \(r.stderr)")
            #expect(r.stderr.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count == 1, "\(value): \(r.stderr)")
        }
    }

    @Test func checkConfigPrintsTheEffectiveRoutes() async throws {
        let r = try await run(["check-config"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("config/catalog-cache.yaml: OK"))
        #expect(r.stdout.contains("hero_banners: GET/HEAD /store/hero-banners -> key catalog:hero_banners:active  ttl 300s swr 600s"))
        #expect(r.stdout.contains("in-process"))
    }

    @Test func checkConfigDescribesAnOriginControlledRouteAsSuch() async throws {
        let r = try await run(["check-config", "--config", "config/examples/shared-cache.yaml"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("everything: /* -> origin-controlled (RFC 9111: the upstream's headers decide), kept at most 86400s"))
        #expect(!r.stdout.contains("Cache-Control:"))
    }

    @Test func badInputStopsWithOneLineNamingTheProblem() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cc-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = dir.appendingPathComponent("bad.yaml").path
        try "routes:\n  - name: a\n    path: /x\n    key: k\n    ttl: soon\n".write(toFile: bad, atomically: true, encoding: .utf8)
        // The shipped file with one store.redis_tls option.
        let shipped = try String(contentsOf: TestServices.packageRoot.appendingPathComponent("config/catalog-cache.yaml"), encoding: .utf8)
        func withTLSOption(_ option: String, _ name: String) throws -> String {
            let path = dir.appendingPathComponent(name).path
            let edited = shipped.replacingOccurrences(of: "\nstore:\n", with: "\nstore:\n  redis_tls:\n    \(option)\n")
            try edited.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let tlsOptions = try withTLSOption("ca_file: /etc/redis-ca.pem", "tls.yaml")
        let addressAsName = try withTLSOption("server_name: 10.0.0.7", "address.yaml")

        let cases: [([String], [String: String], String)] = [
            (["check-config", "--config", bad], [:], "\(bad):5: routes[0].ttl: must be an integer"),
            (["check-config", "--config", dir.appendingPathComponent("missing.yaml").path], [:], "cannot read the file"),
            (["serve", "--upstream", "ftp://origin.test"], [:], "--upstream: "),
            (["serve", "--listen", "nowhere"], [:], "--listen: must be HOST:PORT"),
            (["serve", "--redis", "http://x"], [:], "--redis: invalid Redis URL: unsupported scheme 'http'"),
            (["serve", "--redis", "redis-cluster://127.0.0.1:7000/1"], [:], "--redis: invalid Redis URL: a database on Redis Cluster (it has only database 0) is not supported"),
            (["serve"], ["DATABASE_URL": "mysql://x"], "DATABASE_URL: must start with postgres://"),
            (["serve", "--config", tlsOptions, "--redis", "redis-cluster://127.0.0.1:7000"], [:],
             "store.redis_tls.ca_file: is set, but the Redis URL (redis-cluster://) is not TLS: use rediss-cluster:// for TLS, or remove store.redis_tls"),
            (["check-config", "--config", addressAsName], [:], "store.redis_tls.server_name: must be a host name, not an address (10.0.0.7)"),
        ]
        for (arguments, environment, expected) in cases {
            let r = try await run(arguments, environment: environment)
            #expect(r.status == 1, "\(arguments)")
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 1, "\(arguments): \(r.stderr)")
            #expect(r.stderr.contains(expected), "\(arguments): \(r.stderr)")
        }
    }

    @Test func installTriggersPrintsItsSQL() async throws {
        let r = try await run(["install-triggers", "--print"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("CREATE OR REPLACE FUNCTION catalog_cache_notify()"))
        #expect(r.stdout.contains("AFTER UPDATE ON \"product\""))
        #expect(!r.stdout.contains("catalog_cache_update_product"), "without a database the UPDATE path cannot be compiled")
    }

    @Test func installTriggersPrintsTheCompiledUpdatePathsOfTheDatabaseItReads() async throws {
        try await withStack(triggers: false) { stack in
            let r = try await run(["install-triggers", "--print", "--database-url", stack.databaseURL])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("CREATE OR REPLACE FUNCTION \"catalog_cache_update_product\"()"))
            #expect(r.stdout.contains("FOR EACH STATEMENT EXECUTE FUNCTION \"catalog_cache_update_product\"("))
            // A database it cannot read: the generic paths, and why, not a failure.
            let unreachable = try await run(["install-triggers", "--print", "--database-url", "postgres://postgres@127.0.0.1:1/none?connect_timeout=2"])
            #expect(unreachable.status == 0, "\(unreachable.stderr)")
            #expect(unreachable.stdout.hasPrefix("-- The database could not be read ("))
            #expect(!unreachable.stdout.contains("catalog_cache_update_product"))
        }
    }

    @Test func purgeReachesARunningProxyThroughNotify() async throws {
        try await withStack(triggers: true) { stack in
            let proxy = try await stack.startProxy(try stack.configuration())
            _ = try await proxy.get("/store/hero-banners")
            #expect(try await proxy.get("/store/hero-banners").xCache == "HIT")
            let r = try await run(["purge", "--database-url", stack.databaseURL, "--key", "hero_banners:active"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("1 key(s), 0 tag(s)"))
            #expect(await eventually { proxy.metrics.keysInvalidated.count == 1 })
            #expect(try await proxy.get("/store/hero-banners").xCache == "MISS")

            let noTarget = try await run(["purge", "--database-url", stack.databaseURL])
            #expect(noTarget.status != 0)
        }
    }
}
