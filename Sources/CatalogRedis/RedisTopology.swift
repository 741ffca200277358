import CatalogCacheCore

/// A Redis server's address.
public typealias RedisAddress = ServerAddress

/// How the client finds the server its commands go to.
///
/// - ``single``: the configuration's `host` and `port`.
/// - ``sentinel(_:masterName:)``: asks the sentinels, in order, for the current primary of
///   `masterName` and connects to it only when it confirms, with `ROLE`, that it is a primary;
///   every new connection asks again, so a failover is followed on the next reconnect.
/// - ``cluster(_:)``: Redis Cluster reached through these seed nodes: the slot map is asked
///   of them (`CLUSTER SLOTS`), each command goes to the primary of its key's slot and
///   follows `MOVED` and `ASK`.
public enum RedisTopology: Sendable, Hashable {
    case single
    case sentinel([RedisAddress], masterName: String)
    case cluster([RedisAddress])
}

/// TLS for connections to Redis (`rediss://`).
///
/// Invariant: verification is on unless ``verifyCertificate`` is explicitly false; the server
/// name checked (and sent as SNI) is ``serverName`` when set, else the host connected to.
public struct RedisTLSConfiguration: Sendable, Hashable {
    /// PEM file of the certificate authorities to trust; nil trusts the system's store.
    public var caFile: String?
    /// PEM client certificate chain for mutual TLS; requires ``privateKeyFile``.
    public var certificateFile: String?
    /// PEM private key of the client certificate.
    public var privateKeyFile: String?
    /// Name to verify the server's certificate against instead of the host connected to.
    public var serverName: String?
    public var verifyCertificate: Bool

    public init(caFile: String? = nil, certificateFile: String? = nil, privateKeyFile: String? = nil, serverName: String? = nil, verifyCertificate: Bool = true) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.privateKeyFile = privateKeyFile
        self.serverName = serverName
        self.verifyCertificate = verifyCertificate
    }
}
