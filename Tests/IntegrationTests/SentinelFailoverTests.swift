import CatalogCacheProxy
import CatalogRedis
import Foundation
import NIOCore
import Testing

/// The proxy's store behind Sentinel, through a failover that loses an invalidation: the
/// replica about to be promoted is given back the entries (and tag sets) the old primary had
/// dropped, as asynchronous replication can leave it. The proxy must not serve them.
@Suite(.enabled(if: TestServices.enabled), .serialized)
struct SentinelFailoverTests {
    static var sentinelURL: String? { TestServices.env["CATALOG_TEST_REDIS_SENTINEL_URL"] }

    @Test func aFailoverThatLostAnInvalidationServesNothingStale() async throws {
        let url = try #require(Self.sentinelURL, "CATALOG_TEST_REDIS_SENTINEL_URL is not set: run the tests with scripts/test")
        let redis = try RedisConfiguration.parse(url: url)
        guard case .sentinel(let sentinels, let master) = redis.topology else { return }
        let loop = TestServices.group.next()
        let sentinel = try await RedisConnection.connect(configuration: RedisConfiguration(host: sentinels[0].host, port: sentinels[0].port), on: loop).get()
        func nodes() async throws -> (primary: RedisAddress, replica: RedisAddress) {
            let primary = try await sentinel.send(RedisCommand("SENTINEL", "get-master-addr-by-name", master)).get().array ?? []
            let replicas = try await sentinel.send(RedisCommand("SENTINEL", "replicas", master)).get().array ?? []
            let fields = (replicas.first?.array ?? []).compactMap(\.string)
            let value = { (name: String) in fields.firstIndex(of: name).map { fields[$0 + 1] } }
            return (RedisAddress(host: primary[0].string ?? "", port: Int(primary[1].string ?? "") ?? 0),
                    RedisAddress(host: value("ip") ?? "", port: Int(value("port") ?? "") ?? 0))
        }

        try await withStack(triggers: true) { stack in
            var configuration = try stack.configuration()
            configuration.redisURL = url
            let proxy = try await stack.startProxy(configuration)
            let id = try #require(try await stack.sql("SELECT id FROM product WHERE status = 'published' ORDER BY id LIMIT 1").scalar)
            _ = try await proxy.get("/store/products/\(id)")
            #expect(try await proxy.get("/store/products/\(id)").xCache == "HIT")

            // What the primary holds for this stack before the edit: the entry, its tag sets.
            let (primary, replica) = try await nodes()
            let onPrimary = try await RedisConnection.connect(configuration: RedisConfiguration(host: primary.host, port: primary.port), on: loop).get()
            let keys = (try await onPrimary.send(RedisCommand("KEYS", "\(stack.keyPrefix)*")).get().array ?? []).compactMap(\.string)
            var dumps: [(String, ByteBuffer)] = []
            for key in keys {
                if let dump = try await onPrimary.send(RedisCommand("DUMP", key)).get().bytes { dumps.append((key, dump)) }
            }
            try await onPrimary.close().get()
            #expect(!dumps.isEmpty)

            let patch = try await proxy.request(.PATCH, "/admin/products/\(id)", body: #"{"title":"After the failover"}"#)
            #expect(patch.head.status == .ok)
            #expect(try await proxy.get("/store/products/\(id)").text.contains("After the failover"))

            // The replica is given back what the primary dropped, as if the drop never reached it.
            let onReplica = try await RedisConnection.connect(configuration: RedisConfiguration(host: replica.host, port: replica.port), on: loop).get()
            _ = try await onReplica.send(RedisCommand("CONFIG", "SET", "replica-read-only", "no")).get()
            for (key, dump) in dumps {
                var restore = RedisCommand("RESTORE", key, "0")
                restore.append(dump)
                restore.append("REPLACE")
                _ = try await onReplica.send(restore).get()
            }
            _ = try await onReplica.send(RedisCommand("CONFIG", "SET", "replica-read-only", "yes")).get()
            try await onReplica.close().get()

            _ = try await sentinel.send(RedisCommand("SENTINEL", "FAILOVER", master)).get()
            var promoted = false
            for _ in 0..<400 where !promoted {
                try await Task.sleep(for: .milliseconds(50))
                promoted = try await nodes().primary == replica
            }
            #expect(promoted)
            // From now on, every answer is the edited product, never the entry restored on the
            // new primary (bounded number of reads; a stale one fails the test).
            var answers: [String: Int] = [:]
            for _ in 0..<60 {
                let response = try await proxy.get("/store/products/\(id)")
                if response.head.status == .ok {
                    let fresh = response.text.contains("After the failover")
                    answers[fresh ? "fresh" : "STALE \(response.xCache ?? "-")", default: 0] += 1
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(answers.keys.allSatisfy { $0 == "fresh" }, "\(answers)")
            #expect(answers["fresh", default: 0] > 0)
            #expect(try await proxy.get("/store/products/\(id)").xCache == "HIT")
        }
        try await sentinel.close().get()
    }
}
