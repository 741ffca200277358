/// Everything that can make a Redis future fail.
///
/// The proxy treats every case as "fail open" (serve from origin); the cases only exist
/// so that logs and metrics can tell them apart.
public enum RedisError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Redis answered with an error reply (`-ERR ...`); the connection stays usable.
    case server(String)
    /// No reply arrived within the command timeout; the connection was closed because its
    /// reply stream can no longer be matched to commands.
    case timeout
    /// No reply was read within the command timeout, but this process's event loop ran its
    /// timer late by at least a quarter of the timeout: the loop was too busy (the proxy
    /// overloaded) to tell whether Redis was slow. The connection was closed like on
    /// `timeout`; every command pending on it fails with this error. Not a sign that Redis
    /// is unavailable.
    case timedOutWhileLoopLagged
    /// The connection (TCP connect, AUTH or SELECT) could not be established.
    case connectFailed(String)
    /// The connection closed before the reply arrived.
    case connectionClosed
    /// The byte stream from the server is not valid RESP; the connection was closed.
    case protocolError(String)
    /// The reply has a type the convenience API did not expect.
    case unexpectedReply(String)
    /// ``RedisClient/shutdown()-(EventLoopFuture<Void>)`` was called.
    case clientShutdown
    /// hiredis could not allocate memory while formatting a command.
    case encodingFailed
    /// On Redis Cluster, a command (or transaction) whose keys hash to different slots:
    /// refused before it is sent. A caller's key layout is wrong; retrying cannot help.
    case crossSlot(String)
    /// On Redis Cluster, a command that could not be placed: no node serves its slot, or
    /// redirects, `TRYAGAIN`/`CLUSTERDOWN` or unreachable nodes outlasted the bounded
    /// retries. The command was not executed.
    case clusterUnavailable(String)

    public var description: String {
        switch self {
        case .server(let message): "redis: server error: \(message)"
        case .timeout: "redis: command timed out"
        case .timedOutWhileLoopLagged: "redis: no reply read in time while the event loop lagged (process overloaded)"
        case .connectFailed(let reason): "redis: connect failed: \(reason)"
        case .connectionClosed: "redis: connection closed"
        case .protocolError(let reason): "redis: protocol error: \(reason)"
        case .unexpectedReply(let reply): "redis: unexpected reply: \(reply)"
        case .clientShutdown: "redis: client is shut down"
        case .encodingFailed: "redis: could not format command"
        case .crossSlot(let what): "redis: CROSSSLOT: \(what)"
        case .clusterUnavailable(let reason): "redis: cluster: \(reason)"
        }
    }
}
