import CatalogTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `catalog-cache serve` as a child process on free loopback ports, for what only a real
/// process shows (signals, `catalog-cache reload`). Its environment has no `UPSTREAM_URL`,
/// `CACHE_REDIS_URL` or `DATABASE_URL`, so only the arguments configure it; it runs in the
/// package root (where the default `config/catalog-cache.yaml` is) with its output discarded.
/// `stop()` kills it if it still runs and waits for it.
final class ServeProcess: @unchecked Sendable {
    let port: Int
    let adminPort: Int
    let process = Process()

    /// Starts `serve` with `--config` (when given) and `--upstream`; does not wait for it to listen.
    init(config: String? = nil, upstream: String) async throws {
        try #require(FileManager.default.isExecutableFile(atPath: CommandLineTests.binary), "build first: \(CommandLineTests.binary)")
        port = try await freeLoopbackPort()
        adminPort = try await freeLoopbackPort()
        process.executableURL = URL(fileURLWithPath: CommandLineTests.binary)
        process.arguments = ["serve"] + (config.map { ["--config", $0] } ?? []) + [
            "--listen", "127.0.0.1:\(port)", "--admin-listen", "127.0.0.1:\(adminPort)", "--upstream", upstream,
        ]
        process.currentDirectoryURL = TestServices.packageRoot
        var env = ProcessInfo.processInfo.environment
        for name in ["UPSTREAM_URL", "CACHE_REDIS_URL", "DATABASE_URL"] { env[name] = nil }
        process.environment = env
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    var pid: pid_t { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    func signal(_ number: Int32) { kill(pid, number) }

    /// `GET target` on the admin port on a new connection; nil while nothing answers.
    func admin(_ target: String) async -> RawHTTPClient.Response? {
        guard let client = try? RawHTTPClient(port: adminPort) else { return nil }
        try? await client.send("GET \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        return try? await client.readResponse()
    }

    func stop() {
        if process.isRunning { kill(pid, SIGKILL) }
        process.waitUntilExit()
    }
}
