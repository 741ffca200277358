import NIOCore

/// Limits and timeouts of an ``UpstreamPool``. All limits apply per event loop: a pool on a
/// group of N loops may open up to `N * maxConnectionsPerEventLoop` connections.
///
/// Invariants expected by the pool (checked with preconditions at `UpstreamPool.init`):
/// `maxConnectionsPerEventLoop >= 1`, `maxIdleConnectionsPerEventLoop >= 0`,
/// `maxQueuedRequestsPerEventLoop >= 0`, `maxResponseBodySize >= 0`, all timeouts > 0.
public struct UpstreamPoolConfiguration: Sendable {
    /// Open (connected or connecting) connections per event loop, idle ones included.
    public var maxConnectionsPerEventLoop: Int = 32
    /// Idle keep-alive connections kept per event loop; a connection freed beyond this is closed.
    public var maxIdleConnectionsPerEventLoop: Int = 16
    /// Requests waiting per event loop beyond those a pending connection attempt will serve;
    /// once the connection limit is reached and this many wait, `execute` fails at once
    /// with ``UpstreamError/poolExhausted(maxQueued:)``.
    public var maxQueuedRequestsPerEventLoop: Int = 4096
    /// TCP connect.
    public var connectTimeout: TimeAmount = .seconds(2)
    /// Longest gap without data from upstream while a response is pending (measured between
    /// decoded response parts, from the moment the request is handed to a connection).
    public var readTimeout: TimeAmount = .seconds(15)
    /// The whole request: queueing, connecting, sending and receiving.
    public var totalTimeout: TimeAmount = .seconds(30)
    /// A pooled idle connection is closed after this long unused.
    public var idleTimeout: TimeAmount = .seconds(60)
    /// Largest response body buffered; a larger one fails with ``UpstreamError/responseTooLarge``.
    public var maxResponseBodySize: Int = 64 << 20
    /// Runs first on every new connection's pipeline, before the HTTP handlers: where TLS
    /// (`https://` upstreams) is added. Nil: plain TCP.
    public var channelSetup: (@Sendable (any Channel) throws -> Void)?

    public init() {}
}
