import Synchronization

/// The invalidation feed's state as `/readyz` reports it: `disabled` (no database URL),
/// `connecting`, `listening`, or `reconnecting`.
///
/// It also remembers since when the feed has not been listening (on `ContinuousClock`), which
/// `/readyz` compares with `invalidation.feed_down_max_age_s`.
public final class InvalidationFeedStatus: Sendable {
    private let value: Mutex<(state: String, notListeningSince: ContinuousClock.Instant?)>

    public init(configured: Bool) {
        value = Mutex((configured ? "connecting" : "disabled", configured ? ContinuousClock.now : nil))
    }

    public var state: String { value.withLock { $0.state } }
    public func set(_ state: String) {
        value.withLock {
            if state == "listening" {
                $0.notListeningSince = nil
            } else if $0.notListeningSince == nil {
                $0.notListeningSince = .now
            }
            $0.state = state
        }
    }

    /// How long the configured feed has not been listening (since start or since it last
    /// listened); nil while listening or when there is no feed.
    public var notListeningFor: Duration? {
        value.withLock { $0.notListeningSince.map { ContinuousClock.now - $0 } }
    }
}
