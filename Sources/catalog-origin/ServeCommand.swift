import ArgumentParser
import CatalogOrigin
import CatalogRedis
import Dispatch
import Foundation
import NIOPosix

/// `catalog-origin serve`: the HTTP store and admin API until SIGINT or SIGTERM.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Serve the store and admin API over HTTP/1.1.")

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Address to listen on, HOST:PORT.")
    var listen: String = "127.0.0.1:9000"

    @Option(help: "Redis URL for carts and the event stream (redis://host:port[/db]). Without it the cart routes answer 503.")
    var redis: String?

    @Option(name: .customLong("redis-prefix"), help: "Prefix of the origin's Redis keys (carts, the events stream).")
    var redisPrefix: String = "catalog-origin:"

    @Option(name: .customLong("cart-ttl"), help: "Seconds a cart lives after its last change.")
    var cartTTL: Int = StorefrontConfiguration.defaultCartTTLSeconds

    @Option(help: "PostgreSQL connections in the pool.")
    var connections: Int = 8

    @Option(name: .customLong("statement-cache"), help: "Statement texts each PostgreSQL connection keeps prepared (0: every statement unnamed, for a transaction-pooling PgBouncer before 1.21).")
    var statementCache: Int = OriginService.defaultPreparedStatements

    func validate() throws {
        _ = try hostAndPort()
        guard (1...200).contains(connections) else { throw ValidationError("--connections must be between 1 and 200") }
        guard (0...10_000).contains(statementCache) else { throw ValidationError("--statement-cache must be between 0 and 10000") }
        guard (1...31_536_000).contains(cartTTL) else { throw ValidationError("--cart-ttl must be between 1 and 31536000 seconds") }
        if let redis {
            do { _ = try RedisConfiguration.parse(url: redis) } catch { throw ValidationError("invalid --redis '\(redis)': \(error)") }
        }
    }

    private func hostAndPort() throws -> (String, Int) {
        guard let colon = listen.lastIndex(of: ":"),
              let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port),
              colon != listen.startIndex
        else { throw ValidationError("invalid --listen '\(listen)': expected HOST:PORT") }
        var host = String(listen[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }

    func run() async throws {
        let (host, port) = try hostAndPort()
        let group = MultiThreadedEventLoopGroup.singleton
        var storefront = StorefrontConfiguration(keyPrefix: redisPrefix, cartTTLSeconds: cartTTL)
        if let redis {
            storefront.redis = RedisClient(configuration: try RedisConfiguration.parse(url: redis), group: group)
        }
        let service = try await OriginService.start(
            databaseURL: try database.resolvedURL(), host: host, port: port, poolSize: connections,
            preparedStatements: statementCache, group: group, storefront: storefront)
        FileHandle.standardError.write(Data("catalog-origin: listening on http://\(host):\(service.localPort)\n".utf8))
        await Self.waitForTerminationSignal()
        FileHandle.standardError.write(Data("catalog-origin: shutting down\n".utf8))
        try await service.shutdown()
    }

    /// Suspends until SIGINT or SIGTERM arrives.
    private static func waitForTerminationSignal() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let queue = DispatchQueue(label: "catalog-origin.signals")
            let box = SignalSources(continuation)
            for sig in [SIGINT, SIGTERM] {
                signal(sig, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
                source.setEventHandler { box.fire() }
                source.resume()
                box.keep(source)
            }
        }
    }
}

/// Keeps signal sources alive and resumes the waiter exactly once (all access on one queue).
private final class SignalSources: @unchecked Sendable {
    private var continuation: CheckedContinuation<Void, Never>?
    private var sources: [any DispatchSourceSignal] = []

    init(_ continuation: CheckedContinuation<Void, Never>) { self.continuation = continuation }

    func keep(_ source: any DispatchSourceSignal) { sources.append(source) }

    func fire() {
        continuation?.resume()
        continuation = nil
    }
}
