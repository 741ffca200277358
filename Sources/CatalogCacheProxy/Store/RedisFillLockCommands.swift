import CatalogRedis
import NIOCore

/// The fill-lock commands of the stores on Redis (one node, or a cluster), given the key the
/// lock of an entry lives under: written once for both.
///
/// Invariants: a lock is released only by the token that holds it (`releaseScript` compares and
/// deletes in one step), so a late fill never releases a newer fill's lock; whatever drops a
/// lock (this release, or a store script) then publishes on the key's wake channel
/// (`wakeChannel`), in the same script, so a waiter that reads after the message sees the write.
enum RedisFillLockCommands {
    /// KEYS: the lock; ARGV: the token, the wake channel.
    static let releaseScript = RedisScript("""
    if redis.call('GET', KEYS[1]) == ARGV[1] then
      redis.call('DEL', KEYS[1])
      redis.call('PUBLISH', ARGV[2], '1')
      return 1
    end
    return 0
    """)

    /// `P fill:<key>`: the channel a fill's end is announced on. A plain channel, not a sharded
    /// one: on a cluster `PUBLISH` reaches every node, so one subscriber connection to any node
    /// hears every key (see docs/redis.md).
    static func wakeChannel(prefix: String, key: String) -> String {
        prefix + "fill:" + (key.hasPrefix(prefix) ? key.dropFirst(prefix.count) : key[...])
    }

    /// Listens on `channel` through `subscriber` (nil: no wake-ups, the waiter polls).
    static func watch(_ subscriber: RedisSubscriber?, channel: String, on loop: EventLoop, wake: @escaping @Sendable () -> Void) -> EventLoopFuture<FillWakeWatch> {
        guard let subscriber else { return loop.makeSucceededFuture(.inactive) }
        let (listener, live) = subscriber.listen(to: channel, on: loop, onMessage: wake)
        return live.map { FillWakeWatch(live: $0) { subscriber.unlisten(listener) } }
    }

    /// `SET lockKey token NX PX ttl`: true when this token now holds the lock.
    static func acquire(_ client: RedisClient, lockKey: String, token: String, ttlMilliseconds: Int64, on loop: EventLoop) -> EventLoopFuture<Bool> {
        client.send(.setNX(lockKey, value: ByteBuffer(string: token), pxMilliseconds: ttlMilliseconds), on: loop).map { reply in
            if case .simpleString("OK") = reply { return true }
            return false
        }
    }

    static func release(_ client: RedisClient, lockKey: String, token: String, wakeChannel: String, on loop: EventLoop) -> EventLoopFuture<Void> {
        client.run(releaseScript, keys: [lockKey], args: [ByteBuffer(string: token), ByteBuffer(string: wakeChannel)], on: loop).map { _ in }
    }

    static func holder(_ client: RedisClient, lockKey: String, on loop: EventLoop) -> EventLoopFuture<String?> {
        client.send(.get(lockKey), on: loop).map { $0.string }
    }

    static func ping(_ client: RedisClient, on loop: EventLoop) -> EventLoopFuture<Bool> {
        client.send(RedisCommand("PING"), on: loop).map { _ in true }.recover { _ in false }
    }
}
