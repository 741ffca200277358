import ArgumentParser
import CatalogCacheProxy
import CatalogPostgres
import Foundation
import Logging
import NIOCore
import NIOPosix

struct CatalogCacheCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog-cache",
        abstract: "A cache-first read proxy for e-commerce catalogs.",
        subcommands: [Serve.self, InstallTriggers.self, Purge.self, CheckConfig.self, Stat.self, Reload.self]
    )
}

/// Options shared by the commands that read the configuration.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: "Configuration file.")
    var config: String = "config/catalog-cache.yaml"
}

/// The effective configuration (file, environment, flags), or a one-line error and exit 1.
func resolveOrFail(_ options: ConfigOptions, _ flags: ConfigurationOverrides) -> ProxyConfiguration {
    do {
        return try ConfigurationOverrides.resolve(path: options.config, environment: ProcessInfo.processInfo.environment, flags: flags)
    } catch {
        fail("\(error)")
    }
}

/// Prints a one-line error and exits 1 (bad flags, URLs or configuration).
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("catalog-cache: \(message)\n".utf8))
    exit(1)
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the proxy port and the admin port.")

    @OptionGroup var options: ConfigOptions
    @Option(help: "Proxy address HOST:PORT (default 127.0.0.1:8080).") var listen: String?
    @Option(name: .customLong("admin-listen"), help: "Admin address HOST:PORT (default 127.0.0.1:8081).") var adminListen: String?
    @Option(help: "Upstream primary URL (env UPSTREAM_URL; default http://127.0.0.1:9000).") var upstream: String?
    @Option(help: "Redis URL (env CACHE_REDIS_URL); without it a bounded in-process store is used.") var redis: String?
    @Option(name: .customLong("database-url"), help: "PostgreSQL URL for the invalidation feed (env DATABASE_URL).") var databaseURL: String?
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (env CATALOG_CACHE_LOG_LEVEL; default info).") var logLevel: String?
    @Option(name: .customLong("log-format"), help: "text or json (JSON lines on stderr) (env CATALOG_CACHE_LOG_FORMAT; default text).") var logFormat: String?

    func run() async throws {
        // From the first instruction: SIGHUP's default action would end the process.
        signal(SIGHUP, SIG_IGN)
        let environment = ProcessInfo.processInfo.environment
        let levelName = logLevel ?? environment["CATALOG_CACHE_LOG_LEVEL"] ?? "info"
        guard let level = LogOutput.level(levelName) else {
            fail("\(logLevel != nil ? "--log-level" : "CATALOG_CACHE_LOG_LEVEL"): must be one of trace, debug, info, notice, warning, error, critical (got \(levelName))")
        }
        let formatName = logFormat ?? environment["CATALOG_CACHE_LOG_FORMAT"] ?? "text"
        guard let format = LogFormat(rawValue: formatName.lowercased()) else {
            fail("\(logFormat != nil ? "--log-format" : "CATALOG_CACHE_LOG_FORMAT"): must be text or json (got \(formatName))")
        }
        LogOutput.bootstrap(format: format, level: level)
        let configuration = resolveOrFail(options, ConfigurationOverrides(listen: listen, adminListen: adminListen, upstream: upstream, redis: redis, databaseURL: databaseURL))
        let logger = Logger(label: "catalog-cache")
        let group = MultiThreadedEventLoopGroup(numberOfThreads: configuration.threads > 0 ? configuration.threads : System.coreCount)
        let service: ProxyService
        do {
            let (path, flags) = (options.config, ConfigurationOverrides(listen: listen, adminListen: adminListen, upstream: upstream, redis: redis, databaseURL: databaseURL))
            service = try await ProxyService.start(configuration: configuration, group: group, logger: logger) {
                try ConfigurationOverrides.resolve(path: path, environment: ProcessInfo.processInfo.environment, flags: flags)
            }
        } catch {
            fail("cannot start: \(error)")
        }
        onSignal(SIGHUP) { Task { _ = await service.reload() } }
        await waitForTermination()
        let live = service.configuration
        logger.info("draining: /readyz answers 503 for \(live.drainDelayMilliseconds) ms while requests are still served", metadata: ["event": "draining", "drain_delay_ms": "\(live.drainDelayMilliseconds)"])
        await service.drain(for: .milliseconds(live.drainDelayMilliseconds))
        logger.info("shutting down: no new connections; requests in progress have \(live.shutdownGraceMilliseconds) ms to finish", metadata: ["event": "stopping", "grace_ms": "\(live.shutdownGraceMilliseconds)", "open_connections": "\(service.metrics.openConnections.current)"])
        await service.shutdown(grace: .milliseconds(live.shutdownGraceMilliseconds))
        logger.info("stopped", metadata: ["event": "stopped"])
        try? await group.shutdownGracefully()
    }
}

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check-config", abstract: "Validate the configuration and print the effective routes.")

    @OptionGroup var options: ConfigOptions

    func run() throws {
        let configuration = resolveOrFail(options, ConfigurationOverrides())
        print("\(options.config): OK")
        print(EffectiveConfigurationReport.render(configuration))
    }
}

/// Runs `handler` on every delivery of `sig` (the signal's default action is turned off).
func onSignal(_ sig: Int32, _ handler: @escaping @Sendable () -> Void) {
    signal(sig, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: sig, queue: DispatchQueue(label: "catalog-cache.signal.\(sig)"))
    source.setEventHandler(handler: handler)
    source.resume()
    SignalSources.keep(source)
}

/// Waits for SIGINT or SIGTERM.
func waitForTermination() async {
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let once = SignalOnce(continuation)
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: DispatchQueue(label: "catalog-cache.signals"))
            source.setEventHandler { once.fire() }
            source.resume()
            SignalSources.keep(source)
        }
    }
}

final class SignalOnce: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Void, Never>?
    init(_ continuation: CheckedContinuation<Void, Never>) { self.continuation = continuation }
    func fire() {
        lock.lock()
        let c = continuation
        continuation = nil
        lock.unlock()
        c?.resume()
    }
}

enum SignalSources {
    nonisolated(unsafe) static var sources: [DispatchSourceSignal] = []
    static func keep(_ source: DispatchSourceSignal) { sources.append(source) }
}

struct InstallTriggers: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install-triggers",
        abstract: "Install, idempotently, the triggers that NOTIFY the proxy when mapped tables change.",
        discussion: "The role needs CREATE on the schema and ownership of (or TRIGGER on) each mapped table. Mapped tables missing from the database are skipped and named."
    )

    @OptionGroup var options: ConfigOptions
    @Option(name: .customLong("database-url"), help: "PostgreSQL URL (env DATABASE_URL).") var databaseURL: String?
    @Flag(help: "Print the SQL instead of running it (with a database URL, each described table's UPDATE path compiled from its columns, as install would; it ends by dropping the compiled functions no trigger calls).") var print = false

    func run() throws {
        let configuration = resolveOrFail(options, ConfigurationOverrides(databaseURL: databaseURL))
        if print {
            // With a database, the compiled UPDATE paths are printed as install would run them;
            // a database that cannot be read leaves the generic ones, and says why.
            var shapes: [String: CompiledUpdate.Shape] = [:]
            var unread = ""
            if let url = configuration.databaseURL {
                do {
                    let connection = try PostgresConnection(url: url)
                    defer { connection.close() }
                    shapes = try TriggerInstaller.shapes(connection: connection, tables: configuration.triggerTables)
                } catch {
                    unread = "-- The database could not be read (\(String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " "))).\n"
                }
            }
            Swift.print(unread + TriggerSQL.script(tables: configuration.triggerTables, channel: configuration.notifyChannel, shapes: shapes), terminator: "")
            return
        }
        guard let url = configuration.databaseURL else { fail("--database-url (or DATABASE_URL) is required") }
        do {
            let connection = try PostgresConnection(url: url)
            defer { connection.close() }
            let report = try TriggerInstaller.install(connection: connection, tables: configuration.triggerTables, channel: configuration.notifyChannel)
            Swift.print("installed triggers on \(report.installed.joined(separator: ", ")) (channel \(configuration.notifyChannel))")
            for skipped in report.skipped { Swift.print("skipped \(skipped.table): \(skipped.reason)") }
            for name in report.droppedFunctions { Swift.print("dropped \(name)(): no trigger calls it any more") }
        } catch {
            fail("\(error)")
        }
    }
}

struct Purge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Invalidate keys or tags on every proxy instance, through NOTIFY on the invalidation channel."
    )

    @OptionGroup var options: ConfigOptions
    @Option(name: .customLong("database-url"), help: "PostgreSQL URL (env DATABASE_URL).") var databaseURL: String?
    @Option(name: .customLong("key"), help: "A cache key without the prefix, e.g. hero_banners:active (repeatable).") var keys: [String] = []
    @Option(name: .customLong("tag"), help: "A tag, e.g. products (repeatable).") var tags: [String] = []

    func validate() throws {
        if keys.isEmpty && tags.isEmpty { throw ValidationError("give at least one --key or --tag") }
    }

    func run() throws {
        let configuration = resolveOrFail(options, ConfigurationOverrides(databaseURL: databaseURL))
        guard let url = configuration.databaseURL else { fail("--database-url (or DATABASE_URL) is required") }
        do {
            let connection = try PostgresConnection(url: url)
            defer { connection.close() }
            for payload in PurgePayload.make(keys: keys, tags: tags) {
                _ = try connection.query("SELECT pg_notify($1, $2)", [configuration.notifyChannel, payload])
            }
            Swift.print("purge sent on channel \(configuration.notifyChannel): \(keys.count) key(s), \(tags.count) tag(s)")
        } catch {
            fail("\(error)")
        }
    }
}

// Top-level entry (not @main): the executable has more than one source file.
func runAsync<C: AsyncParsableCommand>(_ command: C) async throws {
    var command = command
    try await command.run()
}

do {
    var command = try CatalogCacheCommand.parseAsRoot()
    if let asyncCommand = command as? any AsyncParsableCommand {
        try await runAsync(asyncCommand)
    } else {
        try command.run()
    }
} catch {
    CatalogCacheCommand.exit(withError: error)
}
