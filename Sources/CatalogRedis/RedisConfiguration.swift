import NIOCore

/// Where and how to reach Redis.
///
/// Invariant: a value built by ``parse(url:)`` has a non-empty host, a port in 1...65535
/// and a non-negative database (and, for Sentinel, at least one sentinel and a master name);
/// the memberwise initialiser trusts its caller.
public struct RedisConfiguration: Sendable, Hashable {
    /// The server for ``RedisTopology/single``; for Sentinel, replaced on each connection by
    /// the primary the sentinels name.
    public var host: String
    public var port: Int
    public var topology: RedisTopology
    /// Non-nil for `rediss://`, `redis-sentinels://` and `rediss-cluster://`: every connection
    /// (to the sentinels, to each cluster node) is TLS.
    public var tls: RedisTLSConfiguration?
    /// Sent with `AUTH` to sentinels (which usually have a password of their own, or none).
    public var sentinelPassword: String?
    /// ACL user for `AUTH user password` (Redis 6+); nil sends `AUTH password`.
    public var username: String?
    /// Sent with `AUTH` on every new connection when non-nil.
    public var password: String?
    /// Sent with `SELECT` on every new connection when non-zero.
    public var database: Int
    /// Connections kept per event loop; commands are spread round-robin over them.
    public var connectionsPerEventLoop: Int
    public var connectTimeout: TimeAmount
    /// Deadline for each command's reply, counted from when it is written.
    public var commandTimeout: TimeAmount
    /// After a failed connect, commands on that event loop fail immediately with
    /// ``RedisError/connectFailed(_:)`` for this long instead of reconnecting on every call.
    public var reconnectBackoff: TimeAmount

    public init(
        host: String = "127.0.0.1",
        port: Int = 6379,
        topology: RedisTopology = .single,
        tls: RedisTLSConfiguration? = nil,
        sentinelPassword: String? = nil,
        username: String? = nil,
        password: String? = nil,
        database: Int = 0,
        connectionsPerEventLoop: Int = 1,
        connectTimeout: TimeAmount = .seconds(2),
        commandTimeout: TimeAmount = .seconds(1),
        reconnectBackoff: TimeAmount = .milliseconds(100)
    ) {
        self.host = host
        self.port = port
        self.topology = topology
        self.tls = tls
        self.sentinelPassword = sentinelPassword
        self.username = username
        self.password = password
        self.database = database
        self.connectionsPerEventLoop = max(1, connectionsPerEventLoop)
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.reconnectBackoff = reconnectBackoff
    }
}
