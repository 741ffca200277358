import CatalogCacheProxy
import CatalogHTTP
import CatalogRedis
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A redis-server of the test's own, on a fixed loopback port, that can be killed with
/// SIGKILL and started again on the same port (the shared test Redis is never touched).
final class KillableRedis: Sendable {
    let port: Int
    private let process = Mutex<Process?>(nil)

    init(port: Int) { self.port = port }

    var url: String { "redis://127.0.0.1:\(port)" }

    /// Starts redis-server and waits until it answers PING (bounded number of attempts).
    func start() async throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["redis-server", "--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        process.withLock { $0 = p }
        for _ in 0..<400 {
            if let connection = try? await RedisConnection.connect(
                configuration: RedisConfiguration(port: port, connectTimeout: .seconds(10), commandTimeout: .seconds(30)), on: TestServices.group.next()
            ).get() {
                let answered = (try? await connection.send(.ping).get()) != nil
                try? await connection.close().get()
                if answered { return }
            }
            try await Task.sleep(for: .milliseconds(25))
        }
        kill()
        throw StartFailed(port: port)
    }

    /// SIGKILL: no graceful shutdown, connections are reset.
    func kill() {
        guard let p = process.withLock({ $0 }) else { return }
        if p.isRunning { Foundation.kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        process.withLock { $0 = nil }
    }

    struct StartFailed: Error { let port: Int }
}

/// A loopback port that was free a moment ago.
func freeLoopbackPort() async throws -> Int {
    let channel = try await ServerBootstrap(group: TestServices.group).bind(host: "127.0.0.1", port: 0).get()
    let port = channel.localAddress!.port!
    try await channel.close().get()
    return port
}

/// An origin stand-in that records what reached it and answers with a JSON body echoing
/// the request line and the headers a cache poisoner would use. `delay` holds each answer.
final class EchoOrigin: HTTPResponder {
    struct Seen: Sendable {
        let method: String
        let uri: String
        let headers: [(String, String)]
    }

    static let echoed = ["x-forwarded-host", "x-original-url", "x-rewrite-url", "x-http-method-override", "forwarded", "host"]
    private let seen = Mutex<[Seen]>([])
    let delay: Duration

    init(delay: Duration = .zero) { self.delay = delay }

    var requests: [Seen] { seen.withLock { $0 } }

    func respond(to request: HTTPServerRequest) async -> HTTPServerResponse {
        seen.withLock { $0.append(Seen(method: "\(request.method)", uri: request.uri, headers: request.headers.map { ($0.name, $0.value) })) }
        if delay > .zero { try? await Task.sleep(for: delay) }
        var fields = ["\"method\":\(HTTPServerJSON.quote("\(request.method)"))", "\"uri\":\(HTTPServerJSON.quote(request.uri))"]
        for name in Self.echoed {
            if let value = request.headers.first(name: name) { fields.append("\(HTTPServerJSON.quote(name)):\(HTTPServerJSON.quote(value))") }
        }
        return .json(.ok, "{\"hero_banners\":[],\"products\":[],\"echo\":{\(fields.joined(separator: ","))}}")
    }
}

/// A proxy (in-process store, no feed) in front of `upstreamPort`, configured by `adjust`.
func startBareProxy(upstreamPort: Int, _ adjust: (inout ProxyConfiguration) -> Void = { _ in }) async throws -> ProxyService {
    var c = try ConfigurationLoader.load(path: TestServices.packageRoot.appendingPathComponent("config/catalog-cache.yaml").path)
    c.listen = ListenAddress(host: "127.0.0.1", port: 0)
    c.adminListen = ListenAddress(host: "127.0.0.1", port: 0)
    c.upstreamURL = "http://127.0.0.1:\(upstreamPort)"
    c.redisURL = nil
    c.databaseURL = nil
    adjust(&c)
    var logger = Logger(label: "test-proxy")
    logger.logLevel = .error
    return try await ProxyService.start(configuration: c, group: TestServices.group, logger: logger)
}
