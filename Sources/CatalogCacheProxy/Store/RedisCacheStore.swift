import CatalogRedis
import NIOCore

/// Entries in Redis, one value per key, with a tag index and an invalidation sequence.
///
/// Layout (all under the configured prefix `P`):
/// - `P<key>`: the entry envelope, expiring after TTL plus the stale window;
/// - `P tag:<tag>`: a set of the keys of entries carrying `<tag>`;
/// - `P gen:` (the mark of the empty tag name, which no tag has): the invalidation sequence,
///   incremented by every invalidation;
/// - `P gen:<tag>`: the sequence value of the last invalidation of `<tag>`;
/// - `P lock:<key>`: a fill lock.
///
/// Invalidating reads each tag's set, deletes the members and the set, advances the sequence
/// and marks each tag with it, in one Lua script (atomic in Redis). A fill reads the sequence
/// before going upstream (`ticket`, in the same write as the fill lock's `SET NX`); storing
/// its entry checks, in one script, that no tag of the entry (those of its request and those
/// its body names) was marked after that, then sets the value and adds it to its tag sets:
/// so an invalidation that ran while the upstream was answering makes the store a no-op, on
/// every instance sharing the Redis, even for tags the fill learned only from the body. The
/// same script releases the fill's lock when the ticket holds one. Scripts go by `EVALSHA`
/// (their text only after a `NOSCRIPT`). Cost per store: one MGET
/// of the marks, one SADD and one PEXPIRE per tag; none per hit.
public final class RedisCacheStore: CacheStore {
    public let kind = "redis"
    private let client: RedisClient
    private let prefix: String
    /// How long a tag set lives after its last store: the longest storage lifetime of any
    /// entry, so that setting it on every store only ever extends it (a set must outlive
    /// every member, or an invalidation would miss one).
    private let tagSetLifetimeMilliseconds: Int64
    /// Wakes this instance's fills waiting for another's (nil: they poll).
    private let subscriber: RedisSubscriber?

    public init(client: RedisClient, prefix: String, tagSetLifetimeMilliseconds: Int64 = 86_400_000, subscriber: RedisSubscriber? = nil) {
        self.client = client
        self.prefix = prefix
        self.tagSetLifetimeMilliseconds = tagSetLifetimeMilliseconds
        self.subscriber = subscriber
    }

    /// Marks outlive any fill by far (a fill is bounded by the upstream's total timeout), so
    /// a mark that expires can never let a ticket taken before it through.
    static let generationLifetimeMilliseconds = 86_400_000

    /// KEYS: the entry, its fill lock, the tag sets, the marks; ARGV: the value, the TTL, the
    /// fill-lock token ('' for none), the ticket's sequence, the tag sets' lifetime, the wake
    /// channel. Stores only when no mark is above the sequence; releases the lock when the
    /// token holds it, either way, and then wakes the key's waiters.
    static let storeScript = RedisScript("""
    local n = (#KEYS - 2) / 2
    local current = 1
    if n > 0 then
      local seq = tonumber(ARGV[4])
      local marks = redis.call('MGET', unpack(KEYS, 3 + n, 2 + 2 * n))
      for i = 1, n do
        if marks[i] and tonumber(marks[i]) > seq then current = 0 break end
      end
    end
    if current == 1 then
      redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
      for i = 1, n do
        redis.call('SADD', KEYS[2 + i], KEYS[1])
        redis.call('PEXPIRE', KEYS[2 + i], ARGV[5])
      end
    end
    if ARGV[3] ~= '' and redis.call('GET', KEYS[2]) == ARGV[3] then
      redis.call('DEL', KEYS[2])
      redis.call('PUBLISH', ARGV[6], '1')
    end
    return current
    """)

    /// KEYS: the tag sets, the marks, the sequence, then the keys; ARGV: the number of tags,
    /// the marks' lifetime, how far the sequence moves (1, or a jump after a possible loss).
    static let invalidateScript = RedisScript("""
    local n = tonumber(ARGV[1])
    local removed = 0
    local seq = redis.call('INCRBY', KEYS[2 * n + 1], ARGV[3])
    for i = 1, n do
      local members = redis.call('SMEMBERS', KEYS[i])
      for _, k in ipairs(members) do removed = removed + redis.call('DEL', k) end
      redis.call('DEL', KEYS[i])
      redis.call('SET', KEYS[n + i], seq, 'PX', ARGV[2])
    end
    for i = 2 * n + 2, #KEYS do removed = removed + redis.call('DEL', KEYS[i]) end
    return removed
    """)

    var sequenceKey: String { prefix + "gen:" }
    func tagSetKey(_ tag: String) -> String { prefix + "tag:" + tag }
    func generationKey(_ tag: String) -> String { prefix + "gen:" + tag }

    public func get(_ key: String, on loop: EventLoop) -> EventLoopFuture<ByteBuffer?> {
        client.get(key, on: loop)
    }

    public func ticket(tags: [String], on loop: EventLoop) -> EventLoopFuture<StoreTicket> {
        client.send(.get(sequenceKey), on: loop).map { StoreTicket(sequence: $0.string.flatMap { UInt64($0) } ?? 0) }
    }

    public func ticket(key: String, tags: [String], on loop: EventLoop) -> EventLoopFuture<StoreTicket> {
        client.send(RedisCommand("MGET", key, sequenceKey), on: loop).flatMapThrowing { reply in
            guard let values = reply.array, values.count == 2 else { throw RedisError.server("unexpected MGET reply") }
            return StoreTicket(sequence: values[1].string.flatMap { UInt64($0) } ?? 0, entry: values[0].bytes)
        }
    }

    public func store(_ key: String, value: ByteBuffer, ttlMilliseconds: Int64, tags: [String], ticket: StoreTicket, on loop: EventLoop) -> EventLoopFuture<Bool> {
        let args = [value, ByteBuffer(string: String(ttlMilliseconds)), ByteBuffer(string: ticket.fillLockToken ?? ""),
                    ByteBuffer(string: String(ticket.sequence)), ByteBuffer(string: String(max(tagSetLifetimeMilliseconds, ttlMilliseconds))),
                    ByteBuffer(string: wakeChannel(key))]
        let keys = [key, lockKey(key)] + tags.map(tagSetKey) + tags.map(generationKey)
        return client.run(Self.storeScript, keys: keys, args: args, on: loop).map { $0.integer == 1 }
    }

    public func invalidate(keys: [String], tags: [String], on loop: EventLoop) -> EventLoopFuture<Int> {
        invalidate(keys: keys, tags: tags, advancingBy: 1, on: loop)
    }

    public func invalidateEverything(keys: [String], tags: [String], on loop: EventLoop) -> EventLoopFuture<Int> {
        invalidate(keys: keys, tags: tags, advancingBy: Self.sequenceJumpAfterLoss, on: loop)
    }

    private func invalidate(keys: [String], tags: [String], advancingBy step: Int64, on loop: EventLoop) -> EventLoopFuture<Int> {
        guard !keys.isEmpty || !tags.isEmpty else { return loop.makeSucceededFuture(0) }
        let scriptKeys = tags.map(tagSetKey) + tags.map(generationKey) + [sequenceKey] + keys
        let args = [ByteBuffer(string: String(tags.count)), ByteBuffer(string: String(Self.generationLifetimeMilliseconds)), ByteBuffer(string: String(step))]
        return client.run(Self.invalidateScript, keys: scriptKeys, args: args, on: loop).map { Int($0.integer ?? 0) }
    }

    /// `P lock:<key>`: the cross-instance fill lock of an entry.
    func lockKey(_ key: String) -> String {
        key.hasPrefix(prefix) ? prefix + "lock:" + key.dropFirst(prefix.count) : prefix + "lock:" + key
    }

    public func acquireFillLock(_ key: String, token: String, ttlMilliseconds: Int64, on loop: EventLoop) -> EventLoopFuture<Bool> {
        RedisFillLockCommands.acquire(client, lockKey: lockKey(key), token: token, ttlMilliseconds: ttlMilliseconds, on: loop)
    }

    public func releaseFillLock(_ key: String, token: String, on loop: EventLoop) -> EventLoopFuture<Void> {
        RedisFillLockCommands.release(client, lockKey: lockKey(key), token: token, wakeChannel: wakeChannel(key), on: loop)
    }

    func wakeChannel(_ key: String) -> String { RedisFillLockCommands.wakeChannel(prefix: prefix, key: key) }

    public func watchFill(_ key: String, on loop: EventLoop, wake: @escaping @Sendable () -> Void) -> EventLoopFuture<FillWakeWatch> {
        RedisFillLockCommands.watch(subscriber, channel: wakeChannel(key), on: loop, wake: wake)
    }

    public func fillLockHolder(_ key: String, on loop: EventLoop) -> EventLoopFuture<String?> {
        RedisFillLockCommands.holder(client, lockKey: lockKey(key), on: loop)
    }

    public func ping(on loop: EventLoop) -> EventLoopFuture<Bool> {
        RedisFillLockCommands.ping(client, on: loop)
    }

    public func shutdown() async {
        subscriber?.stop()
        await client.shutdown()
    }
}
