import CatalogRedis
import NIOCore

/// Entries in Redis, one value per key, with a tag index and tag generations.
///
/// Layout (all under the configured prefix `P`):
/// - `P<key>`: the entry envelope, expiring after TTL plus the stale window;
/// - `P tag:<tag>`: a set of the keys of entries carrying `<tag>`;
/// - `P gen:<tag>`: the tag's generation, incremented by every invalidation of the tag;
/// - `P lock:<key>`: a fill lock.
///
/// Invalidating a tag reads its set and deletes the members, the set, and bumps the
/// generation, in one Lua script (atomic in Redis). Storing an entry checks the
/// generations read when its fill started, sets the value and adds it to its tag sets,
/// also in one script: so an invalidation that ran while the upstream was answering makes
/// the store a no-op, on every instance sharing the Redis. The same script releases the
/// fill's lock when the ticket holds one. Scripts go by `EVALSHA` (their text only after a
/// `NOSCRIPT`). Cost per miss: the `MGET` of the generations
/// (sent in the same write as the fill lock's `SET NX`), none per hit.
public final class RedisCacheStore: CacheStore {
    public let kind = "redis"
    private let client: RedisClient
    private let prefix: String

    public init(client: RedisClient, prefix: String) {
        self.client = client
        self.prefix = prefix
    }

    /// Generation keys outlive any fill by far (a fill is bounded by the upstream's total timeout),
    /// so a generation that expires can never bring back a ticket taken before it moved.
    static let generationLifetimeMilliseconds = 86_400_000

    /// KEYS: the entry, its fill lock, the tag sets, the generations; ARGV: the value, the
    /// TTL, the fill-lock token ('' for none), the ticket's generations. Stores only when
    /// every generation is the ticket's; releases the lock when the token holds it, either way.
    static let storeScript = RedisScript("""
    local n = (#KEYS - 2) / 2
    local current = 1
    for i = 1, n do
      local g = redis.call('GET', KEYS[2 + n + i]) or '0'
      if g ~= ARGV[3 + i] then current = 0 break end
    end
    if current == 1 then
      redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
      for i = 1, n do
        redis.call('SADD', KEYS[2 + i], KEYS[1])
        if redis.call('PTTL', KEYS[2 + i]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[2 + i], ARGV[2]) end
      end
    end
    if ARGV[3] ~= '' and redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('DEL', KEYS[2]) end
    return current
    """)

    static let invalidateScript = RedisScript("""
    local n = tonumber(ARGV[1])
    local removed = 0
    for i = 1, n do
      local members = redis.call('SMEMBERS', KEYS[i])
      for _, k in ipairs(members) do removed = removed + redis.call('DEL', k) end
      redis.call('DEL', KEYS[i])
      redis.call('INCR', KEYS[n + i])
      redis.call('PEXPIRE', KEYS[n + i], ARGV[2])
    end
    for i = 2 * n + 1, #KEYS do removed = removed + redis.call('DEL', KEYS[i]) end
    return removed
    """)

    func tagSetKey(_ tag: String) -> String { prefix + "tag:" + tag }
    func generationKey(_ tag: String) -> String { prefix + "gen:" + tag }

    public func get(_ key: String, on loop: EventLoop) -> EventLoopFuture<ByteBuffer?> {
        client.get(key, on: loop)
    }

    public func ticket(tags: [String], on loop: EventLoop) -> EventLoopFuture<StoreTicket> {
        guard !tags.isEmpty else { return loop.makeSucceededFuture(StoreTicket(generations: [])) }
        var command = RedisCommand("MGET")
        for tag in tags { command.append(generationKey(tag)) }
        return client.send(command, on: loop).flatMapThrowing { reply in
            guard let values = reply.array, values.count == tags.count else { throw RedisError.server("unexpected MGET reply") }
            return StoreTicket(generations: values.map { $0.string ?? "0" })
        }
    }

    public func ticket(key: String, tags: [String], on loop: EventLoop) -> EventLoopFuture<StoreTicket> {
        var command = RedisCommand("MGET", key)
        for tag in tags { command.append(generationKey(tag)) }
        return client.send(command, on: loop).flatMapThrowing { reply in
            guard let values = reply.array, values.count == tags.count + 1 else { throw RedisError.server("unexpected MGET reply") }
            return StoreTicket(generations: values.dropFirst().map { $0.string ?? "0" }, entry: values[0].bytes)
        }
    }

    public func store(_ key: String, value: ByteBuffer, ttlMilliseconds: Int64, tags: [String], ticket: StoreTicket, on loop: EventLoop) -> EventLoopFuture<Bool> {
        precondition(ticket.generations.count == tags.count, "ticket for other tags")
        var args = [value, ByteBuffer(string: String(ttlMilliseconds)), ByteBuffer(string: ticket.fillLockToken ?? "")]
        for generation in ticket.generations { args.append(ByteBuffer(string: generation)) }
        let keys = [key, lockKey(key)] + tags.map(tagSetKey) + tags.map(generationKey)
        return client.run(Self.storeScript, keys: keys, args: args, on: loop).map { $0.integer == 1 }
    }

    public func invalidate(keys: [String], tags: [String], on loop: EventLoop) -> EventLoopFuture<Int> {
        guard !keys.isEmpty || !tags.isEmpty else { return loop.makeSucceededFuture(0) }
        let scriptKeys = tags.map(tagSetKey) + tags.map(generationKey) + keys
        let args = [ByteBuffer(string: String(tags.count)), ByteBuffer(string: String(Self.generationLifetimeMilliseconds))]
        return client.run(Self.invalidateScript, keys: scriptKeys, args: args, on: loop).map { Int($0.integer ?? 0) }
    }

    /// `P lock:<key>`: the cross-instance fill lock of an entry.
    func lockKey(_ key: String) -> String {
        key.hasPrefix(prefix) ? prefix + "lock:" + key.dropFirst(prefix.count) : prefix + "lock:" + key
    }

    static let releaseScript = RedisScript("""
    if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
    return 0
    """)

    public func acquireFillLock(_ key: String, token: String, ttlMilliseconds: Int64, on loop: EventLoop) -> EventLoopFuture<Bool> {
        client.send(.setNX(lockKey(key), value: ByteBuffer(string: token), pxMilliseconds: ttlMilliseconds), on: loop).map { reply in
            if case .simpleString("OK") = reply { return true }
            return false
        }
    }

    public func releaseFillLock(_ key: String, token: String, on loop: EventLoop) -> EventLoopFuture<Void> {
        client.run(Self.releaseScript, keys: [lockKey(key)], args: [ByteBuffer(string: token)], on: loop).map { _ in }
    }

    public func fillLockHolder(_ key: String, on loop: EventLoop) -> EventLoopFuture<String?> {
        client.send(.get(lockKey(key)), on: loop).map { $0.string }
    }

    public func ping(on loop: EventLoop) -> EventLoopFuture<Bool> {
        client.send(RedisCommand("PING"), on: loop).map { _ in true }.recover { _ in false }
    }

    public func shutdown() async {
        await client.shutdown()
    }
}
