import CatalogCacheCore
import Foundation
import Logging
import NIOCore

/// Why the edge purger could not start (a one-line start-up error).
public struct EdgePurgerError: Error, CustomStringConvertible {
    public let description: String
}

/// Purges, at every configured edge, the tags the proxy has just dropped locally.
///
/// An `InvalidationObserver`: `dropped` hands the tags to each target's queue and returns,
/// so the local invalidation and the writes waiting for it never wait for an edge. Keys
/// are not purged: an edge knows entries by tag (`Surrogate-Key`), not by the proxy's keys.
public final class EdgePurger: InvalidationObserver {
    let targets: [PurgeTarget]

    /// `fallbackTags`: every fixed tag, purged instead when a queue overflows.
    /// `environment` resolves `token_env`.
    public init(configuration: PurgeConfiguration, fallbackTags: [String], group: EventLoopGroup, metrics: EdgeMetrics, logger: Logger, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        var targets: [PurgeTarget] = []
        for target in configuration.targets {
            var token = target.token
            if let variable = target.tokenEnvironment {
                guard let value = environment[variable], !value.isEmpty else {
                    throw EdgePurgerError(description: "cdn target \(target.name): the environment variable \(variable) (token_env) is not set")
                }
                token = value
            }
            do {
                targets.append(try PurgeTarget(configuration: target, policy: configuration.policy(for: target), token: token, fallbackTags: fallbackTags, group: group, metrics: metrics, logger: logger))
            } catch {
                throw EdgePurgerError(description: "cdn target \(target.name): \(error)")
            }
            logger.info("cdn purge: \(target.kind.rawValue) target \(target.name) at \(target.url)")
        }
        self.targets = targets
    }

    public func dropped(tags: [String], keys: [String], all: Bool) {
        guard !tags.isEmpty else { return }
        for target in targets { target.enqueue(tags) }
    }

    public func rowChanged(table: String, op: RowOperation, ids: [String]) {}

    /// Whether every target has nothing waiting and nothing in flight.
    public var isIdle: Bool { targets.allSatisfy { $0.state.idle } }

    public func shutdown() async {
        for target in targets { await target.shutdown() }
    }
}
