import CatalogCacheProxy
import CatalogRedis
import Foundation
import NIOCore
import Testing

/// What storing an entry with many tags costs in Redis, measured with Redis's own counters
/// (`INFO commandstats`, the store script's time per call) and printed; asserted are only the
/// outcomes (stored, indexed under every tag, dropped by one product's invalidation).
@Suite(.enabled(if: TestServices.enabled), .serialized)
struct TagStoreCostTests {
    let loop = TestServices.group.next()

    /// Microseconds per script call (`EVALSHA`, or `EVAL` after a `NOSCRIPT`) since the last
    /// `CONFIG RESETSTAT`.
    func evalMicrosecondsPerCall(_ redis: RedisClient) async throws -> Double {
        let info = try await redis.send(RedisCommand("INFO", "commandstats"), on: loop).get().string ?? ""
        var calls = 0.0, microseconds = 0.0
        for line in info.split(whereSeparator: \.isNewline) where line.hasPrefix("cmdstat_eval:") || line.hasPrefix("cmdstat_evalsha:") {
            for field in line.split(separator: ":").last?.split(separator: ",") ?? [] {
                if field.hasPrefix("calls=") { calls += Double(field.dropFirst("calls=".count)) ?? 0 }
                if field.hasPrefix("usec=") { microseconds += Double(field.dropFirst("usec=".count)) ?? 0 }
            }
        }
        return calls > 0 ? microseconds / calls : .nan
    }

    @Test func aListWithAHundredProductTagsAgainstOneTag() async throws {
        guard let url = TestServices.redisURL else { throw ServicesMissing() }
        let redis = RedisClient(configuration: try RedisConfiguration.parse(url: url), group: TestServices.group)
        let prefix = "tagcost\(UInt32.random(in: 0...UInt32.max)):"
        let store = RedisCacheStore(client: redis, prefix: prefix, tagSetLifetimeMilliseconds: 180_000)
        var generator = SystemRandomNumberGenerator()
        let body = ByteBuffer(bytes: (0..<20_000).map { _ in UInt8.random(in: 0...255, using: &generator) })  // a gzip list body's size
        let dimensions = ["products", "products:where:all", "products:sort:created_at", "products:count"]
        let rounds = 400
        var report: [String] = []
        for tagCount in [1, 100] {
            _ = try await redis.send(RedisCommand("CONFIG", "RESETSTAT"), on: loop).get()
            let started = ContinuousClock.now
            for round in 0..<rounds {
                let tags = tagCount == 1 ? ["products"] : dimensions + (0..<(tagCount - dimensions.count)).map { "product:p\(round % 50)_\($0)" }
                let ticket = try await store.ticket(key: "\(prefix)list:\(tagCount):\(round)", tags: [], on: loop).get()
                #expect(try await store.store("\(prefix)list:\(tagCount):\(round)", value: body, ttlMilliseconds: 180_000, tags: tags, ticket: ticket, on: loop).get())
            }
            let wall = ContinuousClock.now - started
            let perCall = try await evalMicrosecondsPerCall(redis)
            let wallMicros = (Double(wall.components.seconds) * 1e6 + Double(wall.components.attoseconds) / 1e12) / Double(rounds)
            report.append("\(tagCount) tag(s): Redis \(String(format: "%.1f", perCall)) us per store script, \(String(format: "%.0f", wallMicros)) us per ticket+store round trip")
        }
        print("storing a 20 KB entry, \(rounds) times each: " + report.joined(separator: "; "))

        // One product's invalidation drops exactly the lists holding it, whatever the number of lists.
        let holding = try await redis.send(RedisCommand("SCARD", "\(prefix)tag:product:p7_3"), on: loop).get().integer
        #expect(holding == 8)  // rounds 7, 57, ..., 357
        #expect(try await store.invalidate(keys: [], tags: ["product:p7_3"], on: loop).get() == 8)
        #expect(try await store.get("\(prefix)list:100:7", on: loop).get() == nil)
        #expect(try await store.get("\(prefix)list:100:8", on: loop).get() != nil)
        _ = try await redis.send(RedisCommand("EVAL", "for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k) end return 0", "0", "\(prefix)*"), on: loop).get()
        await redis.shutdown()
    }
}
