import CatalogCacheCore
import CatalogHTTP
import Logging
import NIOCore
import Synchronization

/// The result of one reload, as logged, counted and answered on the admin port.
public struct ReloadReport: Sendable {
    public var applied: Bool
    /// The configuration generation live after the reload (unchanged when not applied).
    public var generation: Int
    /// Why the reload was refused (a bad file, too many new routes), nil when applied.
    public var error: String?
    /// Changed settings that only a restart applies (kept at their running values).
    public var keptForRestart: [String] = []

    public var json: String {
        var fields = ["\"applied\":\(applied)", "\"generation\":\(generation)"]
        if let error { fields.append("\"error\":\"invalid_configuration\",\"message\":\(HTTPServerJSON.quote(error))") }
        fields.append("\"kept_for_restart\":[\(keptForRestart.map(HTTPServerJSON.quote).joined(separator: ","))]")
        return "{" + fields.joined(separator: ",") + "}"
    }
}

extension ProxyService {
    /// Reads the configuration again (`configurationSource`) and applies it without
    /// dropping a connection, a request in flight or the hot tier: a new `CacheEngine` over
    /// the same store, upstream pool, fills, invalidation gate and hot tier is handed to every
    /// event loop's router, so requests routed after that are answered under the new routes
    /// while those in flight finish under the old. Entries stored under a route's old TTL or
    /// stale windows are not served (`CompiledRoute.storedUnderCurrentRules`); a changed key
    /// template makes new keys. A file that does not load keeps the running configuration.
    ///
    /// Reloads are applied one at a time, in the order they are asked for.
    public func reload() async -> ReloadReport {
        let report = applyReload()
        if report.applied {
            metrics.configReloads.increment("applied")
            logger.notice("configuration reloaded: generation \(report.generation)\(report.keptForRestart.isEmpty ? "" : "; needs a restart to change: \(report.keptForRestart.joined(separator: ", "))")", metadata: [
                "event": "reloaded", "generation": "\(report.generation)", "kept_for_restart": .string(report.keptForRestart.joined(separator: ",")),
            ])
        } else {
            metrics.configReloads.increment("failed")
            logger.error("configuration NOT reloaded, generation \(report.generation) stays live: \(report.error ?? "")", metadata: [
                "event": "reload_failed", "generation": "\(report.generation)", "error": .string(report.error ?? ""),
            ])
        }
        // Every loop has the new engine before the caller is told.
        if report.applied { try? await adopted.withLock({ $0 })?.get() }
        return report
    }

    /// Loads, checks and swaps under `live`'s lock, so concurrent reloads apply in order and
    /// each loop receives the engines in that order.
    private func applyReload() -> ReloadReport {
        live.withLock { live -> ReloadReport in
            guard let configurationSource else {
                return ReloadReport(applied: false, generation: live.generation, error: "this instance was started without a configuration source")
            }
            let loaded: ProxyConfiguration
            do {
                loaded = try configurationSource()
            } catch {
                return ReloadReport(applied: false, generation: live.generation, error: "\(error)")
            }
            let plan = ReloadPlan(running: live.engine.configuration, loaded: loaded)
            guard metrics.routeRows(for: plan.effective.routes.map(\.name)) != nil else {
                return ReloadReport(applied: false, generation: live.generation, error: "more new route names since start than \(metrics.routeRowCapacity) metric rows hold; restart to apply")
            }
            let previous = live.engine
            let engine = CacheEngine(
                configuration: plan.effective, store: previous.store, upstream: previous.upstream, metrics: metrics, clock: previous.clock,
                fills: previous.fills, gate: previous.gate, writeBarrier: previous.forwarder.writeBarrier, hotTier: previous.hotTier,
                feedStatus: previous.lookup.feedStatus, logger: logger, continuing: previous
            )
            adopted.withLock { $0 = routers.adopt(engine, group: group) }
            live = (engine, live.generation + 1)
            metrics.configGeneration.set(live.generation)
            return ReloadReport(applied: true, generation: live.generation, keptForRestart: plan.keptForRestart)
        }
    }
}

/// A late reference to the service, for the admin port's reload endpoint (the admin server
/// starts before the service exists). Weak: the service owns the admin server.
final class ServiceReference: Sendable {
    private struct Weak: @unchecked Sendable { weak var service: ProxyService? }
    private let box = Mutex(Weak())

    func set(_ service: ProxyService) { box.withLock { $0.service = service } }

    func reload() async -> ReloadReport? {
        guard let service = box.withLock({ $0.service }) else { return nil }
        return await service.reload()
    }

    private var service: ProxyService? { box.withLock { $0.service } }
    var configuration: ProxyConfiguration? { service?.configuration }
    var upstreamHealth: UpstreamHealth? { service?.engine.upstreamHealth }
    var draining: Bool { service?.isDraining ?? false }
    var generation: Int? { service?.configurationGeneration }
}
