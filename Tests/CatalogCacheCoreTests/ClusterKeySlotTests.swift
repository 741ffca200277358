import Testing
@testable import CatalogCacheCore

/// The Redis Cluster key slot. The integration test `RedisClusterTests` checks many more
/// keys against a real server's `CLUSTER KEYSLOT`.
@Suite struct ClusterKeySlotTests {
    /// The Redis Cluster specification's test vector for its CRC16.
    @Test func crc16_matchesTheSpecificationVector() {
        #expect(ClusterKeySlot.crc16(Array("123456789".utf8)) == 0x31C3)
        #expect(ClusterKeySlot.crc16([UInt8]()) == 0)
    }

    /// Values printed by `redis-server` 7.0's `CLUSTER KEYSLOT` (the documented examples among them).
    @Test(arguments: [
        ("somekey", 11058),
        ("foo{hash_tag}", 2515),
        ("bar{hash_tag}", 2515),
        ("123456789", 0x31C3 % 16384),
        ("", 0),
    ])
    func knownSlots(key: String, slot: Int) {
        #expect(ClusterKeySlot.slot(of: key) == slot)
    }

    @Test func hashTag_isBetweenTheFirstOpenAndTheNextClose() {
        let slot = ClusterKeySlot.slot(of:)
        #expect(slot("{user1000}.following") == slot("user1000"))
        #expect(slot("{user1000}.followers") == slot("user1000"))
        // Only the first `{` counts, and the first `}` after it.
        #expect(slot("foo{{bar}}zap") == slot("{bar"))
        #expect(slot("foo{bar}{zap}") == slot("bar"))
        #expect(slot("a{b}c{d}") == slot("b"))
    }

    @Test func emptyOrUnclosedTag_hashesTheWholeKey() {
        #expect(ClusterKeySlot.hashedPart(of: Array("foo{}{bar}".utf8)) == Array("foo{}{bar}".utf8)[...])
        #expect(ClusterKeySlot.hashedPart(of: Array("foo{bar".utf8)) == Array("foo{bar".utf8)[...])
        #expect(ClusterKeySlot.hashedPart(of: Array("foo}bar{".utf8)) == Array("foo}bar{".utf8)[...])
        #expect(ClusterKeySlot.hashedPart(of: Array("}{x}".utf8)) == Array("x".utf8)[...])
    }

    @Test func slots_areInRange() {
        for index in 0..<2000 {
            #expect((0..<ClusterKeySlot.count).contains(ClusterKeySlot.slot(of: "key:\(index)")))
        }
    }
}
