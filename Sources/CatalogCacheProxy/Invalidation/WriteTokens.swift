import NIOConcurrencyHelpers
import NIOCore

/// Read-your-writes for writes through the proxy: after the upstream answers a write, the
/// proxy NOTIFYs a token of its own on the invalidation channel and answers the client only
/// when the listener has received it. PostgreSQL delivers notifications in commit order and
/// the listener applies them in order, so by then every invalidation committed before the
/// upstream answered has been applied.
///
/// Tokens are numbered in the order they are made (`<instance>-<n>`), and each is made after
/// its write was answered upstream, so token `n`'s NOTIFY commits after every write whose
/// token is numbered below `n`: receiving `n` confirms all of them too. A write whose own
/// NOTIFY was lost (the database refused it) is thus confirmed by the next one that arrives.
public final class WriteTokens: Sendable {
    private let waiting = NIOLockedValueBox<[UInt64: EventLoopPromise<Void>]>([:])
    private let counter = NIOLockedValueBox<UInt64>(0)
    private let instance: String

    public init(instance: String) {
        self.instance = instance
    }

    /// A new token and the future that completes when it (or a later one) is received.
    public func make(on loop: EventLoop) -> (token: String, received: EventLoopFuture<Void>) {
        let promise = loop.makePromise(of: Void.self)
        let number = counter.withLockedValue { n -> UInt64 in
            n &+= 1
            return n
        }
        waiting.withLockedValue { $0[number] = promise }
        return ("\(instance)-\(number)", promise.futureResult)
    }

    /// The listener received `token`: it and every earlier token of this instance are
    /// confirmed (tokens of other instances are ignored).
    public func received(_ token: String) {
        guard let number = number(of: token) else { return }
        let confirmed = waiting.withLockedValue { waiting -> [EventLoopPromise<Void>] in
            let numbers = waiting.keys.filter { $0 <= number }
            return numbers.compactMap { waiting.removeValue(forKey: $0) }
        }
        for promise in confirmed { promise.succeed(()) }
    }

    /// Gives up waiting for `token`.
    public func abandon(_ token: String) {
        guard let number = number(of: token) else { return }
        waiting.withLockedValue { $0.removeValue(forKey: number) }?.fail(WriteTokenTimeout())
    }

    public var pendingCount: Int { waiting.withLockedValue { $0.count } }

    /// The number of one of this instance's tokens, nil for another instance's.
    private func number(of token: String) -> UInt64? {
        guard token.hasPrefix(instance), token.dropFirst(instance.count).first == "-" else { return nil }
        return UInt64(token.dropFirst(instance.count + 1))
    }
}

public struct WriteTokenTimeout: Error {}
