import CatalogCacheCore
import CatalogRedis
import NIOCore

/// Entries on Redis Cluster, kept coherent across slots by the protocol of ``CrossSlotFill``
/// and ``CrossSlotInvalidation`` (each step one script in one slot; see docs/redis.md).
///
/// Layout (prefix `P`; `{...}` is the hash tag that picks the slot):
/// - `P{seq}`: the invalidation sequence;
/// - `P{<k>}`, `Plock:{<k>}`, `Ptomb:{<k>}`: the entry of key `P<k>`, its fill lock and its
///   tombstone (the sequence of the last invalidation that dropped it), in one slot;
/// - `Ptag:{<tag>}`, `Pgen:{<tag>}`: the tag's members (a sorted set of entry keys scored
///   with the sequence their fill started at) and its mark, in one slot.
///
/// Invariants: every command names keys of one slot only (no CROSSSLOT); a store costs one
/// script per tag of the entry (in parallel) and one in the entry's slot, which also
/// releases the fill lock, stored or not; an invalidation costs one `INCR`, one script per
/// tag, one per member and one per tag again (three round trips waited for: the last one,
/// the forget, is not). Marks and tombstones live
/// ``markLifetimeMilliseconds``, far longer than any fill.
public final class ClusterCacheStore: CacheStore {
    public let kind = "redis"
    private let client: RedisClient
    private let prefix: String
    private let tagSetLifetimeMilliseconds: Int64
    /// Wakes this instance's fills waiting for another's (nil: they poll).
    private let subscriber: RedisSubscriber?
    static let markLifetimeMilliseconds: Int64 = 86_400_000

    public init(client: RedisClient, prefix: String, tagSetLifetimeMilliseconds: Int64 = 86_400_000, subscriber: RedisSubscriber? = nil) {
        self.client = client
        self.prefix = prefix
        self.tagSetLifetimeMilliseconds = tagSetLifetimeMilliseconds
        self.subscriber = subscriber
    }

    /// Why `prefix` cannot be the key prefix on a cluster, or nil: a `{` or `}` in it would
    /// decide the hash tag instead of the entry's or tag's name (an unclosed `{` would put an
    /// entry and its lock in different slots).
    public static func keyPrefixProblem(_ prefix: String) -> String? {
        guard prefix.contains(where: { $0 == "{" || $0 == "}" }) else { return nil }
        return "must not contain '{' or '}' on Redis Cluster (they would pick the keys' slots): \"\(prefix)\""
    }

    /// `{name}` as a hash tag that is exactly `name` (an empty name or one starting with `}`
    /// would not be a tag, so it gets a `~` in front).
    private static func hashTag(_ name: Substring) -> String {
        name.isEmpty || name.first == "}" ? "{~" + name + "}" : "{" + name + "}"
    }

    private func unprefixed(_ key: String) -> Substring { key.hasPrefix(prefix) ? key.dropFirst(prefix.count) : key[...] }
    var sequenceKey: String { prefix + "{seq}" }
    func entryKey(_ key: String) -> String { prefix + Self.hashTag(unprefixed(key)) }
    func lockKey(_ key: String) -> String { prefix + "lock:" + Self.hashTag(unprefixed(key)) }
    func tombstoneKey(_ key: String) -> String { prefix + "tomb:" + Self.hashTag(unprefixed(key)) }
    func membersKey(_ tag: String) -> String { prefix + "tag:" + Self.hashTag(tag[...]) }
    func markKey(_ tag: String) -> String { prefix + "gen:" + Self.hashTag(tag[...]) }

    /// Fill step 3. KEYS: the tag's members, its mark; ARGV: the fill's sequence, the entry's
    /// key, the members' lifetime. Answers the mark (0 when never invalidated).
    static let registerScript = RedisScript("""
    redis.call('ZADD', KEYS[1], 'GT', ARGV[1], ARGV[2])
    redis.call('PEXPIRE', KEYS[1], ARGV[3])
    return tonumber(redis.call('GET', KEYS[2]) or '0')
    """)

    /// Fill step 4. KEYS: the entry, its lock, its tombstone; ARGV: the value, the TTL, the
    /// lock token ('' for none), the fill's sequence, '1' to store ('0': only release), the
    /// wake channel. Stores unless the tombstone is above the sequence; releases the lock
    /// either way, and then wakes the key's waiters (a plain `PUBLISH`: every node hears it).
    static let storeScript = RedisScript("""
    local stored = 0
    if ARGV[5] == '1' and tonumber(redis.call('GET', KEYS[3]) or '0') <= tonumber(ARGV[4]) then
      redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
      stored = 1
    end
    if ARGV[3] ~= '' and redis.call('GET', KEYS[2]) == ARGV[3] then
      redis.call('DEL', KEYS[2])
      redis.call('PUBLISH', ARGV[6], '1')
    end
    return stored
    """)

    /// Invalidation step 2. KEYS: the tag's mark, its members; ARGV: the sequence, the
    /// mark's lifetime. Raises the mark (never lowers it) and answers every member.
    static let markScript = RedisScript("""
    if tonumber(ARGV[1]) > tonumber(redis.call('GET', KEYS[1]) or '0') then
      redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
    end
    return redis.call('ZRANGE', KEYS[2], 0, -1)
    """)

    /// Invalidation step 3. KEYS: the entry, its tombstone; ARGV: the sequence, the
    /// tombstone's lifetime. Deletes the entry and raises the tombstone; answers 1 if deleted.
    static let dropScript = RedisScript("""
    local removed = redis.call('DEL', KEYS[1])
    if tonumber(ARGV[1]) > tonumber(redis.call('GET', KEYS[2]) or '0') then
      redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
    end
    return removed
    """)

    public func get(_ key: String, on loop: EventLoop) -> EventLoopFuture<ByteBuffer?> {
        client.get(entryKey(key), on: loop)
    }

    public func ticket(tags: [String], on loop: EventLoop) -> EventLoopFuture<StoreTicket> {
        client.send(.get(sequenceKey), on: loop).map { StoreTicket(sequence: $0.string.flatMap { UInt64($0) } ?? 0) }
    }

    /// The entry and the sequence are in different slots: two reads, sent together.
    public func ticket(key: String, tags: [String], on loop: EventLoop) -> EventLoopFuture<StoreTicket> {
        let entry = get(key, on: loop)
        return ticket(tags: tags, on: loop).and(entry).map { ticket, entry in
            StoreTicket(sequence: ticket.sequence, entry: entry)
        }
    }

    public func store(_ key: String, value: ByteBuffer, ttlMilliseconds: Int64, tags: [String], ticket: StoreTicket, on loop: EventLoop) -> EventLoopFuture<Bool> {
        var fill = CrossSlotFill()
        _ = fill.start()
        _ = fill.sequenceRead(Int(clamping: ticket.sequence))
        let lifetime = ByteBuffer(string: String(max(tagSetLifetimeMilliseconds, ttlMilliseconds)))
        let finish = { @Sendable (action: CrossSlotFill.Action) -> EventLoopFuture<Bool> in
            let store: Bool
            switch action {
            case .storeUnlessTombstonedAfter: store = true
            case .done: store = false
            default: preconditionFailure("a fill after its marks either stores or is done")
            }
            let args = [value, ByteBuffer(string: String(ttlMilliseconds)), ByteBuffer(string: ticket.fillLockToken ?? ""),
                        ByteBuffer(string: String(ticket.sequence)), ByteBuffer(string: store ? "1" : "0"),
                        ByteBuffer(string: self.wakeChannel(key))]
            // A refused fill that holds no lock has nothing to do in the entry's slot.
            if !store && ticket.fillLockToken == nil { return loop.makeSucceededFuture(false) }
            return self.client.run(Self.storeScript, keys: [self.entryKey(key), self.lockKey(key), self.tombstoneKey(key)], args: args, on: loop)
                .map { $0.integer == 1 }
        }
        let action = fill.fetched(tags: tags)
        let registering = fill
        switch action {
        case .register(let tags, let sequence):
            let registrations = tags.map { tag in
                client.run(Self.registerScript, keys: [membersKey(tag), markKey(tag)],
                           args: [ByteBuffer(string: String(sequence)), ByteBuffer(string: key), lifetime], on: loop)
                    .map { Int($0.integer ?? 0) }
            }
            return EventLoopFuture.whenAllSucceed(registrations, on: loop).flatMap { marks in
                var fill = registering
                return finish(fill.registered(marks: marks))
            }
        default:
            return finish(action)
        }
    }

    public func invalidate(keys: [String], tags: [String], on loop: EventLoop) -> EventLoopFuture<Int> {
        invalidate(keys: keys, tags: tags, advancingBy: 1, on: loop)
    }

    public func invalidateEverything(keys: [String], tags: [String], on loop: EventLoop) -> EventLoopFuture<Int> {
        invalidate(keys: keys, tags: tags, advancingBy: Self.sequenceJumpAfterLoss, on: loop)
    }

    private func invalidate(keys: [String], tags: [String], advancingBy step: Int64, on loop: EventLoop) -> EventLoopFuture<Int> {
        guard !keys.isEmpty || !tags.isEmpty else { return loop.makeSucceededFuture(0) }
        var started = CrossSlotInvalidation(tags: tags)
        _ = started.start()
        let incrementing = started
        return client.send(RedisCommand("INCRBY", sequenceKey, String(step)), on: loop).flatMap { reply in
            let sequence = Int(reply.integer ?? 0)
            var invalidation = incrementing
            switch invalidation.sequenceIncremented(to: sequence) {
            case .markAndTakeMembers(let tags, let sequence):
                let taking = tags.map { tag in
                    self.client.run(Self.markScript, keys: [self.markKey(tag), self.membersKey(tag)],
                                    args: [ByteBuffer(string: String(sequence)), ByteBuffer(string: String(Self.markLifetimeMilliseconds))], on: loop)
                        .map { ($0.array ?? []).compactMap(\.string) }
                }
                let taken = invalidation
                return EventLoopFuture.whenAllSucceed(taking, on: loop).flatMap { members in
                    var invalidation = taken
                    let action = invalidation.membersTaken(members.flatMap { $0 } + keys)
                    return self.finish(&invalidation, after: action, on: loop)
                }
            default:
                // No tags: only the named keys, dropped and tombstoned with this sequence.
                return self.drop(keys, sequence: sequence, on: loop)
            }
        }
    }

    /// Invalidation steps 3 and 4 as the machine asks; answers how many entries were deleted
    /// once step 3 is done. Step 4 is sent then but not waited for: the invalidation is
    /// complete when every member is dropped and tombstoned, and a forget that reaches its
    /// slot late removes only members scored below this invalidation, which no later fill
    /// registers without being refused (`CrossSlotProtocolModelTests` runs it at any later
    /// point). A forget that fails leaves members an invalidation will drop again.
    private func finish(_ invalidation: inout CrossSlotInvalidation, after action: CrossSlotInvalidation.Action, on loop: EventLoop) -> EventLoopFuture<Int> {
        guard case .dropAndTombstone(let keys, let sequence) = action else { return loop.makeSucceededFuture(0) }
        guard case .forgetMembers(let tags, let below) = invalidation.dropped() else { preconditionFailure("forget follows drop") }
        _ = invalidation.forgotten()
        return drop(keys, sequence: sequence, on: loop).map { removed in
            for tag in tags {
                _ = self.client.send(RedisCommand("ZREMRANGEBYSCORE", self.membersKey(tag), "-inf", "(\(below)"), on: loop)
            }
            return removed
        }
    }

    private func drop(_ keys: [String], sequence: Int, on loop: EventLoop) -> EventLoopFuture<Int> {
        let args = [ByteBuffer(string: String(sequence)), ByteBuffer(string: String(Self.markLifetimeMilliseconds))]
        let drops = Set(keys).map { key in
            client.run(Self.dropScript, keys: [entryKey(key), tombstoneKey(key)], args: args, on: loop).map { Int($0.integer ?? 0) }
        }
        return EventLoopFuture.whenAllSucceed(drops, on: loop).map { $0.reduce(0, +) }
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
