import CatalogRedis
import Foundation
import NIOCore
import NIOPosix
import Testing

/// Where the integration tests find Redis, and helpers shared by the suites.
enum RedisTestEnvironment {
    static let url = ProcessInfo.processInfo.environment["CATALOG_TEST_REDIS_URL"]
    static let required = ProcessInfo.processInfo.environment["CATALOG_REQUIRE_SERVICES"] == "1"
    /// Run integration tests when Redis is configured, or when it is required (they then fail loudly).
    static let enabled = url != nil || required
    static let group = MultiThreadedEventLoopGroup.singleton

    /// The shared test Redis; records an issue and throws when it is required but missing.
    static func configuration() throws -> RedisConfiguration {
        guard let url else {
            Issue.record("CATALOG_REQUIRE_SERVICES=1 but CATALOG_TEST_REDIS_URL is not set; run scripts/services start DIR and source DIR/env")
            throw MissingService()
        }
        // Generous timeouts: the machine is shared, and tests must not depend on speed.
        var configuration = try RedisConfiguration.parse(url: url)
        configuration.commandTimeout = .seconds(30)
        configuration.connectTimeout = .seconds(10)
        return configuration
    }

    /// A key no other test (or test run) uses.
    static func uniqueKey(_ name: String = #function) -> String {
        "catalog-redis-test:\(name):\(UUID().uuidString)"
    }

    struct MissingService: Error {}
}

/// A private redis-server for tests that kill, pause or reconfigure Redis.
///
/// Invariant: the process is started on a free loopback port and is always terminated by
/// `stop()`; the shared test Redis is never touched.
final class OwnRedisServer: Sendable {
    let port: Int
    private let process: Process

    private init(port: Int, process: Process) {
        self.port = port
        self.process = process
    }

    static func start(_ extraArguments: [String] = []) async throws -> OwnRedisServer {
        let port = try await freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "redis-server", "--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--enable-debug-command", "yes",
        ] + extraArguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let server = OwnRedisServer(port: port, process: process)
        // Wait until it accepts connections (bounded number of attempts, no timing assertion).
        for _ in 0..<200 {
            if let connection = try? await RedisConnection.connect(
                configuration: .generous(port: port), on: RedisTestEnvironment.group.any()
            ).get() {
                _ = try? await connection.send(.ping).get()
                try? await connection.close().get()
                return server
            }
            try await Task.sleep(for: .milliseconds(25))
        }
        server.stop()
        throw ServerDidNotStart(port: port)
    }

    /// SIGKILL, not SIGTERM: a child spawned from the test process may inherit a signal
    /// mask that blocks SIGTERM, and a throwaway server needs no graceful shutdown.
    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    struct ServerDidNotStart: Error { let port: Int }
}

/// A loopback port that was free a moment ago (bound to port 0, then closed).
func freePort() async throws -> Int {
    let channel = try await ServerBootstrap(group: RedisTestEnvironment.group)
        .bind(host: "127.0.0.1", port: 0).get()
    let port = channel.localAddress!.port!
    try await channel.close().get()
    return port
}

extension ByteBuffer {
    init(bytes: [UInt8]) {
        self = ByteBufferAllocator().buffer(bytes: bytes)
    }
}

/// The error a future failed with, or nil when it succeeded.
func failure<T: Sendable>(of future: EventLoopFuture<T>) async -> Error? {
    do {
        _ = try await future.get()
        return nil
    } catch {
        return error
    }
}

extension RedisConfiguration {
    /// A configuration for a private server with timeouts no test should ever hit by accident.
    static func generous(port: Int) -> RedisConfiguration {
        RedisConfiguration(port: port, connectTimeout: .seconds(10), commandTimeout: .seconds(30))
    }

    /// The same configuration with generous timeouts.
    func generous() -> RedisConfiguration {
        var copy = self
        copy.connectTimeout = .seconds(10)
        copy.commandTimeout = .seconds(30)
        return copy
    }
}
