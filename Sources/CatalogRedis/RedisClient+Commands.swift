import NIOCore

/// Typed conveniences over ``RedisClient/send(_:on:)``. All futures complete on `eventLoop`.
extension RedisClient {
    /// `GET`: the value, or nil when the key does not exist.
    public func get(_ key: String, on eventLoop: EventLoop) -> EventLoopFuture<ByteBuffer?> {
        send(.get(key), on: eventLoop).flatMapThrowing { reply in
            guard case .bulkString(let value) = reply else { throw RedisError.unexpectedReply("GET: \(reply)") }
            return value
        }
    }

    /// `SET key value PX ms`.
    public func set(_ key: String, value: ByteBuffer, pxMilliseconds: Int64, on eventLoop: EventLoop) -> EventLoopFuture<Void> {
        send(.set(key, value: value, pxMilliseconds: pxMilliseconds), on: eventLoop).flatMapThrowing { reply in
            guard case .simpleString("OK") = reply else { throw RedisError.unexpectedReply("SET: \(reply)") }
        }
    }

    /// `SET key value NX PX ms`: true when the key was set, false when it already existed.
    public func setIfAbsent(_ key: String, value: ByteBuffer, pxMilliseconds: Int64, on eventLoop: EventLoop) -> EventLoopFuture<Bool> {
        send(.setNX(key, value: value, pxMilliseconds: pxMilliseconds), on: eventLoop).flatMapThrowing { reply in
            switch reply {
            case .simpleString("OK"): return true
            case .bulkString(nil): return false
            default: throw RedisError.unexpectedReply("SET NX: \(reply)")
            }
        }
    }

    /// `DEL`: the number of keys removed. An empty list does not reach Redis.
    public func delete(_ keys: [String], on eventLoop: EventLoop) -> EventLoopFuture<Int> {
        guard !keys.isEmpty else { return eventLoop.makeSucceededFuture(0) }
        return send(.del(keys), on: eventLoop).flatMapThrowing { reply in
            guard case .integer(let count) = reply else { throw RedisError.unexpectedReply("DEL: \(reply)") }
            return Int(count)
        }
    }

    /// `PING`: succeeds when Redis answers `PONG`.
    public func ping(on eventLoop: EventLoop) -> EventLoopFuture<Void> {
        send(.ping, on: eventLoop).flatMapThrowing { reply in
            guard case .simpleString("PONG") = reply else { throw RedisError.unexpectedReply("PING: \(reply)") }
        }
    }

    /// For readiness checks: whether a `PING` on `eventLoop` succeeds. Never fails.
    public func isHealthy(on eventLoop: EventLoop) -> EventLoopFuture<Bool> {
        ping(on: eventLoop).map { true }.recover { _ in false }
    }

    /// For readiness checks: whether a `PING` on one of the group's loops succeeds.
    public func isHealthy() async -> Bool {
        (try? await isHealthy(on: group.any()).get()) ?? false
    }
}
