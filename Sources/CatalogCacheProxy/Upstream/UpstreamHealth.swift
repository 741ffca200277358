import CatalogHTTP
import Synchronization

/// The upstream's health as the proxy's own requests observe it: `down` after
/// `failureThreshold` consecutive failures (connection refused or reset, timeouts, and the
/// gateway statuses 502, 503, 504), `up` again at the first success. No request is made for
/// it; `/readyz` reports it (and may add a configured probe).
///
/// Lock-free: a success when already healthy is one relaxed load.
public final class UpstreamHealth: Sendable {
    public let failureThreshold: Int
    private let consecutiveFailures = Atomic<Int>(0)
    /// Requests answered and failed since start (for `/readyz`).
    private let observed = Atomic<Int>(0)

    public init(failureThreshold: Int = 5) {
        self.failureThreshold = max(1, failureThreshold)
    }

    public var isHealthy: Bool { consecutiveFailures.load(ordering: .relaxed) < failureThreshold }
    public var failuresInARow: Int { consecutiveFailures.load(ordering: .relaxed) }
    public var observedRequests: Int { observed.load(ordering: .relaxed) }

    /// Records one upstream exchange: an answer with `status`, or a failure (`status` nil).
    public func record(status: UInt?) {
        observed.add(1, ordering: .relaxed)
        if let status, status != 502, status != 503, status != 504 {
            if consecutiveFailures.load(ordering: .relaxed) != 0 { consecutiveFailures.store(0, ordering: .relaxed) }
        } else {
            consecutiveFailures.add(1, ordering: .relaxed)
        }
    }

    /// `record` for a finished upstream request.
    public func record(_ result: Result<UpstreamResponse, Error>) {
        switch result {
        case .success(let response): record(status: response.head.status.code)
        case .failure: record(status: nil)
        }
    }
}
