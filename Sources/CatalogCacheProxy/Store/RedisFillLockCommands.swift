import CatalogRedis
import NIOCore

/// The fill-lock commands of the stores on Redis (one node, or a cluster), given the key the
/// lock of an entry lives under: written once for both.
///
/// Invariant: a lock is released only by the token that holds it (`releaseScript` compares and
/// deletes in one step), so a late fill never releases a newer fill's lock.
enum RedisFillLockCommands {
    static let releaseScript = RedisScript("""
    if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
    return 0
    """)

    /// `SET lockKey token NX PX ttl`: true when this token now holds the lock.
    static func acquire(_ client: RedisClient, lockKey: String, token: String, ttlMilliseconds: Int64, on loop: EventLoop) -> EventLoopFuture<Bool> {
        client.send(.setNX(lockKey, value: ByteBuffer(string: token), pxMilliseconds: ttlMilliseconds), on: loop).map { reply in
            if case .simpleString("OK") = reply { return true }
            return false
        }
    }

    static func release(_ client: RedisClient, lockKey: String, token: String, on loop: EventLoop) -> EventLoopFuture<Void> {
        client.run(releaseScript, keys: [lockKey], args: [ByteBuffer(string: token)], on: loop).map { _ in }
    }

    static func holder(_ client: RedisClient, lockKey: String, on loop: EventLoop) -> EventLoopFuture<String?> {
        client.send(.get(lockKey), on: loop).map { $0.string }
    }

    static func ping(_ client: RedisClient, on loop: EventLoop) -> EventLoopFuture<Bool> {
        client.send(RedisCommand("PING"), on: loop).map { _ in true }.recover { _ in false }
    }
}
