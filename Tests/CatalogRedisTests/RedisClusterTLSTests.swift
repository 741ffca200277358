import CatalogCacheCore
@testable import CatalogRedis
import Foundation
import NIOCore
import Testing

/// The client against the TLS-only cluster `scripts/services` starts (`--port 0`, TLS on the
/// cluster bus and replication too; 3 primaries with a replica each). Its certificate names
/// 127.0.0.1 (an IP entry) and `redis-cluster.test`, and the nodes announce 127.0.0.1.
/// Serialized: tests change what the nodes announce and the addresses they listen on.
@Suite(.enabled(if: RedisTestEnvironment.enabled), .serialized)
struct RedisClusterTLSTests {
    static let environment = ProcessInfo.processInfo.environment

    /// `CATALOG_TEST_REDIS_TLS_CLUSTER_URL` trusting the test CA, changed by `edit`.
    static func configuration(_ edit: (inout RedisTLSConfiguration) -> Void = { _ in }) throws -> RedisConfiguration {
        guard let url = environment["CATALOG_TEST_REDIS_TLS_CLUSTER_URL"], let ca = environment["CATALOG_TEST_REDIS_TLS_CA"] else {
            Issue.record("CATALOG_TEST_REDIS_TLS_CLUSTER_URL is not set; run scripts/services start DIR and source DIR/env")
            throw RedisTestEnvironment.MissingService()
        }
        var configuration = try RedisConfiguration.parse(url: url).generous()
        var tls = try #require(configuration.tls)
        tls.caFile = ca
        edit(&tls)
        configuration.tls = tls
        return configuration
    }

    static func seeds(_ configuration: RedisConfiguration) throws -> [RedisAddress] {
        guard case .cluster(let seeds) = configuration.topology else { throw RedisTestEnvironment.MissingService() }
        return seeds
    }

    /// Sets a key through a new client; the error it failed with, or nil when it worked.
    static func setFailure(_ configuration: RedisConfiguration) async -> Error? {
        let client = RedisClient(configuration: configuration, group: RedisTestEnvironment.group)
        let error = await failure(of: client.set("tls-cluster:\(UUID().uuidString)", value: ByteBuffer(string: "x"), pxMilliseconds: 60_000, on: RedisTestEnvironment.group.any()))
        await client.shutdown()
        return error
    }

    /// Keys land on all three primaries over TLS (the nodes have no plain port), each read
    /// back from its owner over a TLS connection of its own.
    @Test func keys_spreadOverEveryPrimaryOverTLS() async throws {
        let configuration = try Self.configuration()
        let client = RedisClient(configuration: configuration, group: RedisTestEnvironment.group)
        let loop = RedisTestEnvironment.group.any()
        let prefix = "tls-spread:\(UUID().uuidString):"
        var owners: Set<RedisAddress> = []
        for index in 0..<30 {
            let key = "\(prefix)\(index)"
            try await client.set(key, value: ByteBuffer(string: "v\(index)"), pxMilliseconds: 60_000, on: loop).get()
            let owner = try #require(client.clusterPrimary(forSlot: ClusterKeySlot.slot(of: key)))
            owners.insert(owner)
            let connection = try await RedisConnection.connect(configuration: Self.direct(owner, configuration), on: loop).get()
            #expect(try await connection.send(.get(key)).get().string == "v\(index)")
            try await connection.close().get()
        }
        #expect(owners.count == 3)
        await client.shutdown()
    }

    /// `redis-cluster://` (no TLS) to the same nodes: every node closes the connection, and
    /// the one error says so and points at the TLS form.
    @Test func plainURL_toTheTLSPorts_failsSayingSo() async throws {
        var plain = try Self.configuration()
        plain.tls = nil
        let error = try #require(await Self.setFailure(plain))
        guard case .clusterUnavailable(let reason) = error as? RedisError else {
            Issue.record("expected the cluster to be unavailable, got \(error)")
            return
        }
        #expect(reason.contains("TLS-only port?"), "\(reason)")
        #expect(reason.contains("rediss-cluster://"), "\(reason)")
    }

    /// Verification is on by default: the system's trust store does not know the test CA.
    @Test func verifiesByDefault() async throws {
        let error = try #require(await Self.setFailure(try Self.configuration { $0.caFile = nil }))
        #expect("\(error)".contains("handshake"), "\(error)")
        #expect(await Self.setFailure(try Self.configuration { $0.caFile = nil; $0.verifyCertificate = false }) == nil)
    }

    /// A seed reached at 127.0.0.2 (the nodes listen there too), an address the certificate
    /// lacks, is refused unless the server name to verify is configured and on the
    /// certificate. (swift-nio-ssl accepts a certificate whose IP entry is the address
    /// connected to, whatever the name, so names are tested where the address does not match.)
    /// The nodes the map then names are reached at 127.0.0.1.
    @Test func serverName_isVerified() async throws {
        var configuration = try Self.configuration()
        let seed = try #require(try Self.seeds(configuration).first)
        configuration.topology = .cluster([RedisAddress(host: "127.0.0.2", port: seed.port)])
        let byAddress = try #require(await Self.setFailure(configuration))
        #expect("\(byAddress)".contains("handshake"), "\(byAddress)")
        configuration.tls?.serverName = "cache.example.com"
        #expect(await Self.setFailure(configuration) != nil)
        configuration.tls?.serverName = "redis-cluster.test"
        #expect(await Self.setFailure(configuration) == nil)
    }

    /// The nodes announce 127.0.0.2, which the certificate lacks: routed there, each node is
    /// refused when verified by its address or by an announced name the certificate lacks,
    /// and accepted when it announces `redis-cluster.test` (read from the live `CLUSTER
    /// SLOTS`); a configured server name still wins over the announced one.
    @Test func announcedHostname_isTheNameVerified() async throws {
        let configuration = try Self.configuration()
        let seeds = try Self.seeds(configuration)
        do {
            try await Self.announce(ip: "127.0.0.2", hostname: "", on: seeds, configuration)
            #expect(await Self.setFailure(configuration) != nil)
            try await Self.announce(ip: "127.0.0.2", hostname: "unlisted.test", on: seeds, configuration)
            #expect(await Self.setFailure(configuration) != nil)
            try await Self.announce(ip: "127.0.0.2", hostname: "redis-cluster.test", on: seeds, configuration)
            #expect(await Self.setFailure(configuration) == nil)
            #expect(await Self.setFailure(try Self.configuration { $0.serverName = "cache.example.com" }) != nil)

            let connection = try await RedisConnection.connect(configuration: Self.direct(seeds[0], configuration), on: RedisTestEnvironment.group.any()).get()
            let reply = try await connection.send(RedisCommand("CLUSTER", "SLOTS")).get()
            try await connection.close().get()
            let names = ClusterSlotsReply.announcedHostnames(reply, askedHost: seeds[0].host)
            #expect(Set(names.keys) == Set(seeds.map { ServerAddress(host: "127.0.0.2", port: $0.port) }))
            #expect(Set(names.values) == ["redis-cluster.test"])
        } catch {
            try? await Self.announce(ip: "127.0.0.1", hostname: "", on: seeds, configuration)
            throw error
        }
        try await Self.announce(ip: "127.0.0.1", hostname: "", on: seeds, configuration)
        #expect(await Self.setFailure(configuration) == nil)
    }

    /// `configuration` pointed at one node, verified by its address.
    static func direct(_ node: RedisAddress, _ configuration: RedisConfiguration) -> RedisConfiguration {
        var direct = configuration
        direct.topology = .single
        direct.host = node.host
        direct.port = node.port
        direct.tls?.serverName = nil
        return direct
    }

    /// Sets `cluster-announce-ip` and `cluster-announce-hostname` on every node, then waits
    /// until each node's `CLUSTER SLOTS` shows both for every node (they spread by gossip).
    static func announce(ip: String, hostname: String, on nodes: [RedisAddress], _ configuration: RedisConfiguration) async throws {
        let loop = RedisTestEnvironment.group.any()
        var connections: [RedisConnection] = []
        for node in nodes {
            let connection = try await RedisConnection.connect(configuration: direct(node, configuration), on: loop).get()
            connections.append(connection)
            _ = try await connection.send(RedisCommand("CONFIG", "SET", "cluster-announce-ip", ip, "cluster-announce-hostname", hostname)).get()
        }
        for connection in connections {
            var shown = false
            for _ in 0..<200 where !shown {
                let slots = try await connection.send(RedisCommand("CLUSTER", "SLOTS")).get()
                let announced = (slots.array ?? []).flatMap { range in
                    (range.array ?? []).dropFirst(2).map { node -> String in
                        guard let fields = node.array, fields.count >= 4, let address = fields[0].string else { return "?" }
                        let metadata = fields[3].array ?? []
                        let name = metadata.count >= 2 && metadata[0].string == "hostname" ? metadata[1].string ?? "" : ""
                        return "\(address) \(name)"
                    }
                }
                shown = announced.count == nodes.count && announced.allSatisfy { $0 == "\(ip) \(hostname)" }
                if !shown { try await Task.sleep(nanoseconds: 50_000_000) }
            }
            #expect(shown, "a node never showed every node announcing \(ip) '\(hostname)'")
            try await connection.close().get()
        }
    }
}
