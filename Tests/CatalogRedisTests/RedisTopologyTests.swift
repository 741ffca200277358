import CatalogRedis
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Testing

/// The client against the topologies `scripts/services` starts beside the plain Redis: a
/// TLS-only Redis with a CA made at start, and a primary with a replica under three sentinels.
@Suite(.enabled(if: RedisTestEnvironment.enabled), .serialized)
struct RedisTopologyTests {
    static let environment = ProcessInfo.processInfo.environment

    static func url(_ name: String) throws -> String {
        guard let url = environment[name] else {
            Issue.record("\(name) is not set; run scripts/services start DIR and source DIR/env")
            throw RedisTestEnvironment.MissingService()
        }
        return url
    }

    static func tlsConfiguration(_ edit: (inout RedisTLSConfiguration) -> Void = { _ in }) throws -> RedisConfiguration {
        var configuration = try RedisConfiguration.parse(url: url("CATALOG_TEST_REDIS_TLS_URL")).generous()
        var tls = try #require(configuration.tls)
        tls.caFile = try url("CATALOG_TEST_REDIS_TLS_CA")
        edit(&tls)
        configuration.tls = tls
        return configuration
    }

    @Test func tls_roundTripsWithTheConfiguredCA() async throws {
        let client = RedisClient(configuration: try Self.tlsConfiguration(), group: RedisTestEnvironment.group)
        let loop = RedisTestEnvironment.group.any()
        let key = RedisTestEnvironment.uniqueKey()
        try await client.set(key, value: ByteBuffer(string: "over tls"), pxMilliseconds: 60_000, on: loop).get()
        #expect(try await client.get(key, on: loop).get() == ByteBuffer(string: "over tls"))
        await client.shutdown()
    }

    @Test func tls_verifiesByDefault() async throws {
        // The system's trust store does not know the CA made at start.
        let configuration = try Self.tlsConfiguration { $0.caFile = nil }
        let error = await failure(of: RedisConnection.connect(configuration: configuration, on: RedisTestEnvironment.group.any()))
        guard case .connectFailed(let reason) = error as? RedisError else {
            Issue.record("expected a failed connect, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("handshake"))
    }

    /// The certificate names `localhost` only: another name fails, and so does the address
    /// unless the name to check is given.
    @Test func tls_checksTheServerName() async throws {
        let loop = RedisTestEnvironment.group.any()
        let wrongName = try Self.tlsConfiguration { $0.serverName = "cache.example.com" }
        #expect(await failure(of: RedisConnection.connect(configuration: wrongName, on: loop)) != nil)
        var byAddress = try Self.tlsConfiguration()
        byAddress.host = "127.0.0.1"
        #expect(await failure(of: RedisConnection.connect(configuration: byAddress, on: loop)) != nil)
        byAddress.tls?.serverName = "localhost"
        let connection = try await RedisConnection.connect(configuration: byAddress, on: loop).get()
        #expect(try await connection.send(.ping).get() == .simpleString("PONG"))
        try await connection.close().get()
    }

    @Test func tls_unverifiedOnlyWhenAskedTo() async throws {
        let configuration = try Self.tlsConfiguration { $0.caFile = nil; $0.verifyCertificate = false }
        let connection = try await RedisConnection.connect(configuration: configuration, on: RedisTestEnvironment.group.any()).get()
        #expect(try await connection.send(.ping).get() == .simpleString("PONG"))
        try await connection.close().get()
    }

    @Test func tls_aMissingCAFileIsRefusedWhenTheConnectorIsMade() throws {
        let configuration = try Self.tlsConfiguration { $0.caFile = "/nonexistent/ca.pem" }
        #expect(throws: RedisError.self) { try RedisConnector(configuration: configuration) }
    }

    @Test func sentinel_connectsToThePrimary() async throws {
        let configuration = try RedisConfiguration.parse(url: Self.url("CATALOG_TEST_REDIS_SENTINEL_URL")).generous()
        let connection = try await RedisConnection.connect(configuration: configuration, on: RedisTestEnvironment.group.any()).get()
        let role = try await connection.send(RedisCommand("ROLE")).get()
        #expect(role.array?.first?.string == "master")
        try await connection.close().get()
    }

    /// `reconnect()` closes the client's connections: its next command goes over a new one,
    /// to the primary the sentinels name then (what a second client of the proxy is told to do
    /// when the first found the primary moved).
    @Test func sentinel_reconnect_makesTheNextCommandConnectAgain() async throws {
        var configuration = try RedisConfiguration.parse(url: Self.url("CATALOG_TEST_REDIS_SENTINEL_URL")).generous()
        configuration.connectionsPerEventLoop = 1
        let client = RedisClient(configuration: configuration, group: RedisTestEnvironment.group)
        let loop = RedisTestEnvironment.group.any()
        let before = try await client.send(RedisCommand("CLIENT", "ID"), on: loop).get().integer
        #expect(try await client.send(RedisCommand("CLIENT", "ID"), on: loop).get().integer == before, "one connection while nothing happens")
        client.reconnect()
        let after = try await client.send(RedisCommand("CLIENT", "ID"), on: loop).get().integer
        #expect(before != nil && after != nil && after != before)
        #expect(try await client.send(RedisCommand("ROLE"), on: loop).get().array?.first?.string == "master")
        try await client.shutdown().get()
    }

    @Test func sentinel_noSentinelAnswering_failsNamingEach() async throws {
        var configuration = try RedisConfiguration.parse(url: Self.url("CATALOG_TEST_REDIS_SENTINEL_URL")).generous()
        let dead = RedisAddress(host: "127.0.0.1", port: try await freePort())
        configuration.topology = .sentinel([dead], masterName: "catalog")
        let error = await failure(of: RedisConnection.connect(configuration: configuration, on: RedisTestEnvironment.group.any()))
        guard case .connectFailed(let reason) = error as? RedisError else {
            Issue.record("expected a failed connect, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("no sentinel named a primary") && reason.contains("\(dead)"))
    }

    @Test func sentinel_unknownMaster_isNotAPrimary() async throws {
        var configuration = try RedisConfiguration.parse(url: Self.url("CATALOG_TEST_REDIS_SENTINEL_URL")).generous()
        guard case .sentinel(let sentinels, _) = configuration.topology else { return }
        configuration.topology = .sentinel(sentinels, masterName: "no-such-master")
        #expect(await failure(of: RedisConnection.connect(configuration: configuration, on: RedisTestEnvironment.group.any())) != nil)
    }

    /// `SENTINEL FAILOVER` while a client writes: the client hears the sentinels announce the
    /// new primary (`+switch-master`), drops its connections and reports the move, and its
    /// writes land on the new primary. Bounded by attempts, not by time.
    @Test func sentinel_followsAFailover() async throws {
        var configuration = try RedisConfiguration.parse(url: Self.url("CATALOG_TEST_REDIS_SENTINEL_URL")).generous()
        configuration.commandTimeout = .seconds(2)
        configuration.reconnectBackoff = .milliseconds(50)
        guard case .sentinel(let sentinels, let master) = configuration.topology else { return }
        let loop = RedisTestEnvironment.group.any()
        let client = RedisClient(configuration: configuration, group: RedisTestEnvironment.group)
        let moves = NIOLockedValueBox<[RedisAddress]>([])
        client.onPrimaryChange { address in moves.withLockedValue { $0.append(address) } }
        try await client.set(RedisTestEnvironment.uniqueKey(), value: ByteBuffer(string: "before"), pxMilliseconds: 60_000, on: loop).get()

        let sentinel = try await RedisConnection.connect(configuration: .generous(port: sentinels[0].port), on: loop).get()
        _ = try await sentinel.send(RedisCommand("SENTINEL", "FAILOVER", master)).get()
        try await sentinel.close().get()

        var moved: RedisAddress?
        for _ in 0..<400 where moved == nil {
            try await Task.sleep(for: .milliseconds(50))
            moved = moves.withLockedValue { $0.last }
        }
        let newPrimary = try #require(moved, "the client never heard of the failover")
        #expect(client.primarySwitchesObserved >= 1)
        let key = RedisTestEnvironment.uniqueKey()
        var written = false
        for _ in 0..<200 where !written {
            written = (try? await client.set(key, value: ByteBuffer(string: "after"), pxMilliseconds: 60_000, on: loop).get()) != nil
            if !written { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(written)
        let direct = try await RedisConnection.connect(configuration: .generous(port: newPrimary.port), on: loop).get()
        #expect(try await direct.send(.get(key)).get() == .bulkString(ByteBuffer(string: "after")))
        #expect(try await direct.send(RedisCommand("ROLE")).get().array?.first?.string == "master")
        try await direct.close().get()
        await client.shutdown()
    }
}
