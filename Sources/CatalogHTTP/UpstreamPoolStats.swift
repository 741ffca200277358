/// A point-in-time view of an ``UpstreamPool`` summed over its event loops, for metrics.
/// Loops are sampled one after another, so the sum is not an atomic snapshot.
///
/// Invariants per loop (hence for the sums): `idle + inFlight + connecting == open`,
/// `open <= maxConnectionsPerEventLoop`.
public struct UpstreamPoolStats: Sendable, Equatable {
    /// Connections established or being established.
    public var open: Int = 0
    /// Connections being established.
    public var connecting: Int = 0
    /// Established connections waiting in the pool for a request.
    public var idle: Int = 0
    /// Connections carrying a request.
    public var inFlight: Int = 0
    /// Requests waiting for a connection.
    public var queued: Int = 0
    /// Connection attempts started since the pool was created.
    public var createdTotal: Int = 0

    public init() {}

    static func + (lhs: Self, rhs: Self) -> Self {
        var sum = lhs
        sum.open += rhs.open
        sum.connecting += rhs.connecting
        sum.idle += rhs.idle
        sum.inFlight += rhs.inFlight
        sum.queued += rhs.queued
        sum.createdTotal += rhs.createdTotal
        return sum
    }
}
