import NIOConcurrencyHelpers
import NIOCore

/// Read-your-writes for writes through the proxy: after the upstream answers a write, the
/// proxy NOTIFYs a token of its own on the invalidation channel and answers the client only
/// when the listener has received it. PostgreSQL delivers notifications in commit order and
/// the listener applies them in order, so by then every invalidation committed before the
/// upstream answered has been applied.
public final class WriteTokens: Sendable {
    private let waiting = NIOLockedValueBox<[String: EventLoopPromise<Void>]>([:])
    private let counter = NIOLockedValueBox<UInt64>(0)
    private let instance: String

    public init(instance: String) {
        self.instance = instance
    }

    /// A new token and the future that completes when it is received.
    public func make(on loop: EventLoop) -> (token: String, received: EventLoopFuture<Void>) {
        let promise = loop.makePromise(of: Void.self)
        let token = counter.withLockedValue { n -> String in
            n &+= 1
            return "\(instance)-\(n)"
        }
        waiting.withLockedValue { $0[token] = promise }
        return (token, promise.futureResult)
    }

    /// The listener received `token` (tokens of other instances are ignored).
    public func received(_ token: String) {
        waiting.withLockedValue { $0.removeValue(forKey: token) }?.succeed(())
    }

    /// Gives up waiting for `token`.
    public func abandon(_ token: String) {
        waiting.withLockedValue { $0.removeValue(forKey: token) }?.fail(WriteTokenTimeout())
    }

    public var pendingCount: Int { waiting.withLockedValue { $0.count } }
}

public struct WriteTokenTimeout: Error {}
