import CatalogCacheCore
import CatalogRedis
import NIOCore
import Testing

/// Which slot a command runs in on a cluster, and the multi-key commands refused before
/// they are sent.
@Suite struct RedisCommandClusterSlotTests {
    let slot = ClusterKeySlot.slot(of:)

    @Test func singleKeyCommands_useTheirFirstArgument() throws {
        #expect(try RedisCommand("GET", "user:1").clusterSlot() == slot("user:1"))
        #expect(try RedisCommand("HINCRBY", "cart:{9}", "line", "1").clusterSlot() == slot("9"))
        #expect(try RedisCommand("ZADD", "tag:{t}", "GT", "5", "k").clusterSlot() == slot("t"))
    }

    @Test func keylessCommands_runAnywhere() throws {
        #expect(try RedisCommand("PING").clusterSlot() == nil)
        #expect(try RedisCommand("CLUSTER", "KEYSLOT", "user:1").clusterSlot() == nil)
        #expect(try RedisCommand("SCRIPT", "LOAD", "return 1").clusterSlot() == nil)
        #expect(try RedisCommand.evalsha("abc", keys: [], args: []).clusterSlot() == nil)
    }

    @Test func scripts_routeByTheirKeysNotTheirArguments() throws {
        let command = RedisCommand.evalsha("abc", keys: ["{e}:entry", "{e}:lock"], args: [ByteBuffer(string: "unrelated")])
        #expect(try command.clusterSlot() == slot("e"))
        #expect(throws: RedisError.self) {
            try RedisCommand.eval("return 1", keys: ["a", "b"], args: []).clusterSlot()
        }
    }

    @Test func multiKeyCommands_spanningSlotsAreRefused() throws {
        #expect(slot("a") != slot("b"))
        for command in [RedisCommand("DEL", "a", "b"), RedisCommand("MGET", "a", "b"), RedisCommand("MSET", "a", "1", "b", "2"),
                        RedisCommand("RENAME", "a", "b"), RedisCommand("XREAD", "COUNT", "1", "STREAMS", "a", "b", "0", "0")] {
            do {
                _ = try command.clusterSlot()
                Issue.record("\(command.arguments.first.map { String(decoding: $0, as: UTF8.self) } ?? "") over two slots was accepted")
            } catch {
                guard case .crossSlot = error else { Issue.record("\(error)"); continue }
            }
        }
        // Values are not keys: MSET a 1 a 2 and XREAD's ids are one slot.
        #expect(try RedisCommand("MSET", "{x}a", "b", "{x}c", "d").clusterSlot() == slot("x"))
        #expect(try RedisCommand("XREAD", "STREAMS", "s", "0").clusterSlot() == slot("s"))
        #expect(try RedisCommand("DEL", "{x}a", "{x}b").clusterSlot() == slot("x"))
    }
}
