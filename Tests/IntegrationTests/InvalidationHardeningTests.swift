import CatalogCacheCore
import CatalogCacheProxy
import CatalogRedis
import Foundation
import NIOCore
import Testing

/// NOTIFY abuse and a store that fails during an invalidation, against real PostgreSQL and
/// Redis. Waits are for effects (counters), never for durations.
@Suite(.enabled(if: TestServices.enabled), .serialized)
struct InvalidationHardeningTests {
    func notify(_ stack: Stack, _ payload: String) async throws {
        _ = try await stack.sql("SELECT pg_notify('catalog_cache', $1)", [payload])
    }

    @Test func aPayloadForAnUnmappedTableIsIgnoredAndCounted() async throws {
        try await withStack(triggers: true) { stack in
            let proxy = try await stack.startProxy(try stack.configuration())
            _ = try await proxy.get("/store/hero-banners")
            #expect(try await proxy.get("/store/hero-banners").xCache == "HIT")
            try await notify(stack, #"{"table":"audit_log","op":"TRUNCATE"}"#)
            #expect(await eventually { proxy.metrics.notificationsUnmapped.count == 1 })
            #expect(try await proxy.get("/store/hero-banners").xCache == "HIT")
            #expect(proxy.metrics.render().contains("catalog_cache_notifications_unmapped_total 1\n"))
        }
    }

    @Test func explicitKeysCannotDeleteTheTagIndex() async throws {
        try await withStack(triggers: true) { stack in
            let proxy = try await stack.startProxy(try stack.configuration())
            let id = try #require(try await stack.sql("SELECT id FROM hero_banner WHERE is_active ORDER BY sort_order, id LIMIT 1").scalar)
            _ = try await proxy.get("/store/hero-banners")
            #expect(try await proxy.get("/store/hero-banners").xCache == "HIT")
            let malformed = proxy.metrics.notificationsMalformed.count
            try await notify(stack, #"{"keys":["tag:hero_banners"]}"#)
            #expect(await eventually { proxy.metrics.notificationsMalformed.count == malformed + 1 })
            #expect(try await stack.redisKeys().contains(stack.keyPrefix + "tag:hero_banners"))
            // A later change still finds the entry through the tag index.
            let applied = proxy.metrics.tagsInvalidated.count
            _ = try await stack.sql("UPDATE hero_banner SET title = 'After the attempt' WHERE id = $1", [id])
            #expect(await eventually { proxy.metrics.tagsInvalidated.count > applied })
            let next = try await proxy.get("/store/hero-banners")
            #expect(next.xCache == "MISS")
            #expect(next.text.contains("After the attempt"))
        }
    }

    /// Redis refuses every write (`min-replicas-to-write 1` without replicas) while reads
    /// still work, so the old entry stays readable: the invalidation is owed, and nothing it
    /// covers is served until Redis takes writes again and the drop is made.
    @Test func aDropTheStoreRefusesIsOwedAndItsEntriesAreNotServed() async throws {
        let redis = KillableRedis(port: try await freeLoopbackPort())
        try await redis.start()
        defer { redis.kill() }
        let admin = RedisClient(configuration: try RedisConfiguration.parse(url: redis.url), group: TestServices.group)
        try await withStack(triggers: true) { stack in
            var configuration = try stack.configuration()
            configuration.redisURL = redis.url
            let proxy = try await stack.startProxy(configuration)
            let id = try #require(try await stack.sql("SELECT id FROM hero_banner WHERE is_active ORDER BY sort_order, id LIMIT 1").scalar)
            _ = try await proxy.get("/store/hero-banners")
            #expect(try await proxy.get("/store/hero-banners").xCache == "HIT")

            _ = try await admin.send(RedisCommand("CONFIG", "SET", "min-replicas-to-write", "1"), on: TestServices.group.next()).get()
            let errors = proxy.metrics.redisErrors.count
            _ = try await stack.sql("UPDATE hero_banner SET title = 'Changed while Redis refused writes' WHERE id = $1", [id])
            #expect(await eventually(seconds: 10) { proxy.metrics.invalidationsOwed.current == 1 && proxy.metrics.redisErrors.count >= errors + 5 })
            for _ in 0..<3 {
                let during = try await proxy.get("/store/hero-banners")
                #expect(during.xCache != "HIT")
                #expect(during.text.contains("Changed while Redis refused writes"))
            }

            _ = try await admin.send(RedisCommand("CONFIG", "SET", "min-replicas-to-write", "0"), on: TestServices.group.next()).get()
            #expect(await eventually(seconds: 10) { proxy.metrics.invalidationsOwed.current == 0 })
            let after = try await proxy.get("/store/hero-banners")
            #expect(after.text.contains("Changed while Redis refused writes"))
            #expect(try await proxy.get("/store/hero-banners").xCache == "HIT")
        }
        await admin.shutdown()
    }
}
