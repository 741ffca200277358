import CatalogCacheCore
import CatalogHTTP
import Logging
import NIOHTTP1
import Synchronization

/// Logs upstream failures with the request's id, method and target, at most `perSecond`
/// lines a second: an outage must not turn every failing request into a log line. The next
/// line logged says how many were left out.
public final class UpstreamFailureLog: Sendable {
    private let logger: Logger
    private let perSecond: Int
    private let window = Mutex((second: Int64(0), logged: 0, suppressed: 0))

    public init(logger: Logger, perSecond: Int = 10) {
        self.logger = logger
        self.perSecond = perSecond
    }

    public func record(_ error: Error, request head: HTTPRequestHead, fill: Bool) {
        let second = Int64(MonotonicClock.nanoseconds() / 1_000_000_000)
        let suppressed: Int? = window.withLock { w in
            if w.second != second { w = (second, 0, w.suppressed) }
            guard w.logged < perSecond else {
                w.suppressed += 1
                return nil
            }
            w.logged += 1
            defer { w.suppressed = 0 }
            return w.suppressed
        }
        guard let suppressed else { return }
        var metadata: Logger.Metadata = [
            "event": "upstream_error",
            "request_id": .string(head.headers.first(name: RequestID.headerName) ?? "-"),
            "method": .string(head.method.rawValue),
            "target": .string(String(head.uri.prefix(512))),
            "kind": .string((error as? UpstreamError).map { Forwarder.label($0) } ?? "other"),
            "fill": .stringConvertible(fill),
        ]
        if suppressed > 0 { metadata["suppressed_since_last"] = .stringConvertible(suppressed) }
        logger.warning("upstream request failed: \(error)", metadata: metadata)
    }
}
