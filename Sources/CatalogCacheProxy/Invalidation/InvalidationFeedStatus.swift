import Synchronization

/// The invalidation feed's state as `/readyz` reports it: `disabled` (no database URL),
/// `connecting`, `listening`, or `reconnecting`.
public final class InvalidationFeedStatus: Sendable {
    private let value: Mutex<String>

    public init(configured: Bool) {
        value = Mutex(configured ? "connecting" : "disabled")
    }

    public var state: String { value.withLock { $0 } }
    public func set(_ state: String) { value.withLock { $0 = state } }
}
