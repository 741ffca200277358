import CatalogPostgres
import Foundation
import Logging
import NIOCore

/// The invalidation feed of one proxy instance: the LISTEN thread and the applier.
public final class InvalidationFeed: Sendable {
    public let applier: InvalidationApplier
    private let listener: InvalidationListener

    public init(configuration: ProxyConfiguration, databaseURL: String, applier: InvalidationApplier, status: InvalidationFeedStatus, metrics: ProxyMetrics, logger: Logger) {
        self.applier = applier
        let delay = Double(configuration.feedApplyDelayMillisecondsForTesting) / 1000
        let tables = configuration.triggerTables
        self.listener = InvalidationListener(
            url: databaseURL, channel: configuration.notifyChannel, logger: logger,
            inspect: { connection in
                do {
                    try TriggerInspection.inspect(connection: connection, tables: tables).record(in: metrics, logger: logger)
                } catch {
                    logger.warning("invalidation feed: could not read the installed triggers: \(error)", metadata: ["event": "triggers"])
                }
            },
            connected: {
                applier.invalidateEverything()
                status.set("listening")
                metrics.feedConnected.set(1)
            },
            disconnected: { _ in
                if status.state == "listening" { metrics.feedReconnects.increment() }
                status.set("reconnecting")
                metrics.feedConnected.set(0)
            },
            deliver: { notifications in
                if delay > 0 { Thread.sleep(forTimeInterval: delay) }
                applier.apply(payloads: notifications.map(\.payload))
            }
        )
    }

    public func start() { listener.start() }
    public func stop() { listener.stop() }
}
