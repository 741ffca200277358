/// Why a Redis URL was rejected by ``RedisConfiguration/parse(url:)``. Each message names
/// the offending part of the URL, suitable for a one-line start-up error.
public enum RedisConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    case invalidScheme(String)
    case missingHost
    case invalidPort(String)
    case invalidDatabase(String)
    case invalidCredentials(String)
    case unsupported(String)
    case missingMasterName

    public var description: String {
        switch self {
        case .invalidScheme(let scheme):
            scheme.isEmpty
                ? "invalid Redis URL: missing scheme (expected redis://[:password@]host[:port][/db])"
                : "invalid Redis URL: unsupported scheme '\(scheme)' (expected redis://, rediss://, redis-sentinel://, redis-sentinels://, redis-cluster://, rediss-cluster://)"
        case .missingHost: "invalid Redis URL: missing host"
        case .invalidPort(let port): "invalid Redis URL: port '\(port)' is not a number in 1-65535"
        case .invalidDatabase(let db): "invalid Redis URL: database '\(db)' is not a non-negative integer"
        case .invalidCredentials(let reason): "invalid Redis URL: credentials: \(reason)"
        case .unsupported(let what): "invalid Redis URL: \(what) is not supported"
        case .missingMasterName: "invalid Redis URL: a Sentinel URL names the master after the sentinels (redis-sentinel://h1:p1,h2:p2/MASTER)"
        }
    }
}
