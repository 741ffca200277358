import NIOCore
import NIOPosix
import NIOSSL

/// Makes connections as a ``RedisConfiguration`` says: TCP or TLS, to the one node or to the
/// primary Sentinel names, then `AUTH` and `SELECT`.
///
/// Invariants:
/// - Over TLS the certificate is verified against, and SNI names, ``verifiedName(for:)``:
///   `server_name` when configured, else the host name a cluster node announced, else the
///   host connected to; an IP address is checked against the certificate's IP entries.
/// - The TLS context is built once, when the connector is made (loading the trust store
///   and any client certificate is expensive), and shared by every connection.
/// - With ``RedisTopology/sentinel(_:masterName:)`` a connection is handed out only after
///   the node it reached answered `ROLE` with `master`: commands never go to a replica,
///   even when a sentinel's answer was stale. Each connect asks the sentinels again, in the
///   configured order, so a reconnect after a failover finds the new primary.
public struct RedisConnector: Sendable {
    public let configuration: RedisConfiguration
    private let sslContext: NIOSSLContext?
    /// For a cluster node: the names the cluster announces, looked up on each connect.
    private let nodeNames: ClusterNodeNames?

    /// Fails with ``RedisError/connectFailed(_:)`` when the TLS files cannot be loaded.
    public init(configuration: RedisConfiguration) throws {
        self.configuration = configuration
        self.sslContext = try configuration.tls.map(Self.makeContext)
        self.nodeNames = nil
    }

    /// The same connector (sharing its TLS context) for one node of the cluster: its
    /// connections go to `node` and nowhere else, verified (over TLS) against the name the
    /// node announces in `names` when neither `server_name` nor the address names it. Every
    /// new connection is confirmed with a `PING`, so a node that closes it at once (a
    /// TLS-only port reached without TLS) fails the connect and is reported as unreachable.
    func forNode(_ node: RedisAddress, names: ClusterNodeNames) -> RedisConnector {
        var configuration = self.configuration
        configuration.topology = .single
        configuration.host = node.host
        configuration.port = node.port
        return RedisConnector(configuration: configuration, sslContext: sslContext, nodeNames: names)
    }

    private init(configuration: RedisConfiguration, sslContext: NIOSSLContext?, nodeNames: ClusterNodeNames?) {
        self.configuration = configuration
        self.sslContext = sslContext
        self.nodeNames = nodeNames
    }

    /// The name a TLS connection to `address` checks the certificate against and sends as
    /// SNI: `server_name` when set, else the cluster node's announced host name, else the
    /// host when it is a name; nil for an IP address (checked against the IP entries).
    func verifiedName(for address: RedisAddress) -> String? {
        if let serverName = configuration.tls?.serverName { return serverName }
        if let announced = nodeNames?.hostname(of: address) { return announced }
        return address.host.isIPAddress ? nil : address.host
    }

    /// A connection to the server commands must go to; fails with ``RedisError/connectFailed(_:)``.
    /// On a cluster, that is the first seed node (the cluster client makes its own per node).
    public func connect(on eventLoop: EventLoop) -> EventLoopFuture<RedisConnection> {
        switch configuration.topology {
        case .single, .cluster:
            return connect(to: RedisAddress(host: configuration.host, port: configuration.port), dataNode: true, on: eventLoop)
        case .sentinel(let sentinels, let masterName):
            return primary(asking: sentinels[...], masterName: masterName, failures: [], on: eventLoop).flatMap { address in
                self.connect(to: address, dataNode: true, on: eventLoop).flatMap { connection in
                    self.confirmPrimary(connection, address: address)
                }
            }
        }
    }

    /// A connection to `address` (over TLS when configured) whose replies go to `handler`
    /// instead of a command pipeline: for subscriptions.
    func subscriptionChannel(to address: RedisAddress, handler: some ChannelHandler & Sendable, on eventLoop: EventLoop) -> EventLoopFuture<Channel> {
        let sslContext = self.sslContext
        let serverName = verifiedName(for: address)
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(configuration.connectTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: sslContext, serverHostname: serverName))
                    }
                    try channel.pipeline.syncOperations.addHandlers(RESPReplyDecoder(), handler)
                }
            }
        if let socketAddress = try? SocketAddress(ipAddress: address.host, port: address.port) {
            return bootstrap.connect(to: socketAddress)
        }
        return bootstrap.connect(host: address.host, port: address.port)
    }

    /// The data node a subscriber connects to on its `attempt`-th try: the one node, the
    /// primary the sentinels name, or the cluster's seeds in turn (a plain `PUBLISH` reaches
    /// every node of a cluster).
    func subscriberAddress(attempt: Int, on eventLoop: EventLoop) -> EventLoopFuture<RedisAddress> {
        switch configuration.topology {
        case .single:
            return eventLoop.makeSucceededFuture(RedisAddress(host: configuration.host, port: configuration.port))
        case .cluster(let seeds):
            guard !seeds.isEmpty else { return eventLoop.makeFailedFuture(RedisError.connectFailed("no cluster seed")) }
            return eventLoop.makeSucceededFuture(seeds[attempt % seeds.count])
        case .sentinel(let sentinels, let masterName):
            return primary(asking: sentinels[...], masterName: masterName, failures: [], on: eventLoop)
        }
    }

    /// Asks each sentinel in turn for the primary's address; the first answer wins.
    private func primary(asking sentinels: ArraySlice<RedisAddress>, masterName: String, failures: [String], on eventLoop: EventLoop) -> EventLoopFuture<RedisAddress> {
        guard let sentinel = sentinels.first else {
            return eventLoop.makeFailedFuture(RedisError.connectFailed("no sentinel named a primary for '\(masterName)': \(failures.joined(separator: "; "))"))
        }
        return connect(to: sentinel, dataNode: false, on: eventLoop).flatMap { connection in
            connection.send(RedisCommand("SENTINEL", "get-master-addr-by-name", masterName)).flatMapThrowing { reply -> RedisAddress in
                guard let pair = reply.array, pair.count == 2, let host = pair[0].string,
                      let portText = pair[1].string, let port = Int(portText)
                else { throw RedisError.unexpectedReply("sentinel \(sentinel) knows no master '\(masterName)' (\(reply))") }
                return RedisAddress(host: host, port: port)
            }.always { _ in connection.channel.close(promise: nil) }
        }.flatMapError { error in
            self.primary(asking: sentinels.dropFirst(), masterName: masterName, failures: failures + ["\(sentinel): \(error)"], on: eventLoop)
        }
    }

    /// Keeps `connection` only when the node says it is a primary.
    private func confirmPrimary(_ connection: RedisConnection, address: RedisAddress) -> EventLoopFuture<RedisConnection> {
        connection.send(RedisCommand("ROLE")).flatMapThrowing { reply -> RedisConnection in
            guard reply.array?.first?.string == "master" else {
                throw RedisError.connectFailed("\(address) is not a primary (ROLE: \(reply.array?.first?.string ?? "?"))")
            }
            return connection
        }.flatMapErrorThrowing { error in
            connection.channel.close(promise: nil)
            throw error as? RedisError ?? .connectFailed("\(address): \(error)")
        }
    }

    /// TCP (and TLS when configured), then the handshake: the data node's `AUTH` and
    /// `SELECT`, or a sentinel's own password.
    private func connect(to address: RedisAddress, dataNode: Bool, on eventLoop: EventLoop) -> EventLoopFuture<RedisConnection> {
        let timeout = configuration.commandTimeout
        let sslContext = self.sslContext
        let serverName = verifiedName(for: address)
        let clusterNode = nodeNames != nil
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(configuration.connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: sslContext, serverHostname: serverName))
                    }
                    try channel.pipeline.syncOperations.addHandlers(
                        RESPReplyDecoder(),
                        RedisCommandHandler(commandTimeout: timeout)
                    )
                }
            }
        let connected: EventLoopFuture<Channel>
        if let socketAddress = try? SocketAddress(ipAddress: address.host, port: address.port) {
            connected = bootstrap.connect(to: socketAddress)
        } else {
            connected = bootstrap.connect(host: address.host, port: address.port)
        }
        return connected.flatMapError { error in
            eventLoop.makeFailedFuture(RedisError.connectFailed("\(address): \(error)"))
        }.flatMap { channel in
            let connection = RedisConnection(channel: channel, address: address)
            var handshake: [RedisCommand] = []
            if dataNode {
                if let password = configuration.password {
                    handshake.append(.auth(username: configuration.username, password: password))
                }
                if configuration.database != 0 { handshake.append(.select(configuration.database)) }
            } else if let password = configuration.sentinelPassword {
                handshake.append(.auth(username: nil, password: password))
            }
            // A TLS handshake failure surfaces here, on the first command, and so does a
            // cluster node's TLS-only port reached without TLS.
            if handshake.isEmpty && (sslContext != nil || clusterNode) { handshake.append(.ping) }
            guard !handshake.isEmpty else { return eventLoop.makeSucceededFuture(connection) }
            let replies = handshake.map { connection.send($0) }
            return EventLoopFuture.whenAllSucceed(replies, on: eventLoop).map { _ in connection }.flatMapError { error in
                channel.close(promise: nil)
                let hint = sslContext == nil && Self.closedAtOnce(error)
                    ? " (closed before any reply: a TLS-only port? TLS URLs are rediss://, redis-sentinels://, rediss-cluster://)" : ""
                return eventLoop.makeFailedFuture(RedisError.connectFailed("\(address): handshake: \(error)\(hint)"))
            }
        }
    }

    /// The server closed or reset a new plain connection instead of answering its handshake,
    /// which is what a TLS-only Redis does with bytes that are not a TLS handshake.
    private static func closedAtOnce(_ error: any Error) -> Bool {
        switch error as? RedisError {
        case .connectionClosed?: true
        case .connectFailed(let reason)?: reason.contains("reset by peer")
        default: false
        }
    }

    private static func makeContext(_ tls: RedisTLSConfiguration) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        do {
            if let caFile = tls.caFile {
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
            }
            if let certificateFile = tls.certificateFile {
                configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certificateFile).map { .certificate($0) }
                guard let keyFile = tls.privateKeyFile else { throw RedisError.connectFailed("TLS: a client certificate needs its private key file") }
                configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem))
            }
            if !tls.verifyCertificate { configuration.certificateVerification = .none }
            return try NIOSSLContext(configuration: configuration)
        } catch let error as RedisError {
            throw error
        } catch {
            throw RedisError.connectFailed("TLS: \(error)")
        }
    }
}

extension String {
    /// True for an IPv4 or IPv6 literal (which is not sent as SNI).
    fileprivate var isIPAddress: Bool { (try? SocketAddress(ipAddress: self, port: 0)) != nil }
}
