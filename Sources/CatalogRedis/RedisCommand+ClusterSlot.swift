import CatalogCacheCore

extension RedisCommand {
    /// The cluster slot this command must run in: the slot of its keys, or nil for a command
    /// that names no key (it may run on any primary). Fails with ``RedisError/crossSlot(_:)``,
    /// before anything is sent, when its keys hash to different slots.
    ///
    /// Where the keys are is known for the commands this package uses and the common
    /// multi-key ones (`EVAL`/`EVALSHA`/`FCALL` by `numkeys`, `MSET` every other argument,
    /// `DEL`/`MGET`/`EXISTS`/... every argument, `XREAD ... STREAMS`, `ZUNIONSTORE` ...);
    /// any other command with arguments has its key first, as almost every Redis command does.
    public func clusterSlot() throws(RedisError) -> Int? {
        let offsets = argumentOffsets()
        guard !offsets.isEmpty else { return nil }
        let name = String(decoding: storage[offsets[0]], as: UTF8.self).uppercased()
        var slot: Int?
        for index in Self.keyIndexes(name: name, count: offsets.count, argument: { String(decoding: storage[offsets[$0]], as: UTF8.self) }) {
            let keySlot = ClusterKeySlot.slot(of: storage[offsets[index]])
            if let slot, slot != keySlot {
                throw .crossSlot("\(name): keys in slots \(slot) and \(keySlot) (a cluster runs a multi-key command only within one slot)")
            }
            slot = keySlot
        }
        return slot
    }

    /// The one slot every command of a transaction runs in; fails as ``clusterSlot()`` does.
    static func clusterSlot(of commands: [RedisCommand]) throws(RedisError) -> Int? {
        var slot: Int?
        for command in commands {
            guard let commandSlot = try command.clusterSlot() else { continue }
            if let slot, slot != commandSlot {
                throw .crossSlot("a transaction over slots \(slot) and \(commandSlot) (a cluster runs MULTI/EXEC only within one slot)")
            }
            slot = commandSlot
        }
        return slot
    }

    private func argumentOffsets() -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(lengths.count)
        var offset = 0
        for length in lengths {
            ranges.append(offset..<offset + length)
            offset += length
        }
        return ranges
    }

    private static let keyless: Set<String> = [
        "PING", "ECHO", "INFO", "CLUSTER", "ASKING", "READONLY", "READWRITE", "SCRIPT", "FUNCTION",
        "FLUSHALL", "FLUSHDB", "DBSIZE", "PUBLISH", "SUBSCRIBE", "PSUBSCRIBE", "UNSUBSCRIBE",
        "PUNSUBSCRIBE", "TIME", "ROLE", "CLIENT", "CONFIG", "DEBUG", "KEYS", "SCAN", "SELECT",
        "AUTH", "HELLO", "MULTI", "EXEC", "DISCARD", "UNWATCH", "COMMAND", "MEMORY", "SLOWLOG",
        "LASTSAVE", "WAIT", "RANDOMKEY", "QUIT", "RESET", "ACL", "LATENCY", "MONITOR", "SAVE", "BGSAVE",
    ]

    /// The argument indexes holding keys, for a command of `count` arguments named `name`.
    private static func keyIndexes(name: String, count: Int, argument: (Int) -> String) -> [Int] {
        if keyless.contains(name) || count < 2 { return [] }
        switch name {
        case "EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO":
            guard count >= 3, let keys = Int(argument(2)), keys > 0 else { return [] }
            return Array(3..<min(count, 3 + keys))
        case "MSET", "MSETNX":
            return Array(stride(from: 1, to: count, by: 2))
        case "DEL", "UNLINK", "EXISTS", "MGET", "TOUCH", "WATCH", "SINTER", "SUNION", "SDIFF",
             "SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE", "PFCOUNT", "PFMERGE":
            return Array(1..<count)
        case "RENAME", "RENAMENX", "SMOVE", "RPOPLPUSH", "LMOVE", "BLMOVE", "BRPOPLPUSH", "COPY":
            return Array(1..<min(count, 3))
        case "BLPOP", "BRPOP", "BZPOPMIN", "BZPOPMAX":
            return Array(1..<max(1, count - 1))
        case "ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE":
            guard count >= 3, let keys = Int(argument(2)) else { return [1] }
            return [1] + Array(3..<min(count, 3 + max(0, keys)))
        case "XREAD", "XREADGROUP":
            guard let streams = (1..<count).first(where: { argument($0).uppercased() == "STREAMS" }) else { return [] }
            let half = (count - streams - 1) / 2
            return Array((streams + 1)..<(streams + 1 + half))
        default:
            return [1]
        }
    }
}
