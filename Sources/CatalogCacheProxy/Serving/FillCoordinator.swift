import CatalogCacheCore
import NIOConcurrencyHelpers
import NIOCore

/// Single flight within one instance: concurrent misses for one key make one upstream request.
///
/// Bookkeeping is the core's `MissCoalescer`; this class adds the lock and the promises.
/// Invariant: after `detach(tags:)` returns, no new request joins a fill that started before
/// it for an entry carrying one of those tags, or that may carry one once its body is read
/// (a tag with one of the flight's body tag prefixes); such requests start a new fill instead.
/// Requests that joined earlier still get the earlier fill's answer (they arrived before the
/// invalidation).
public final class FillCoordinator: Sendable {
    private struct State {
        var coalescer = MissCoalescer<EventLoopPromise<FillResult>>()
        /// Key to the flight id new requests join; a detached key gets a new id.
        var currentFlight: [String: UInt64] = [:]
        var flightTags: [String: (tags: [String], bodyTagPrefixes: [String])] = [:]
        var nextFlight: UInt64 = 0
    }

    private let state = NIOLockedValueBox(State())
    public let maxWaiters: Int

    public init(maxWaiters: Int = 10_000) {
        self.maxWaiters = maxWaiters
    }

    /// A flight handle; the leader completes it with `finish`.
    public struct Flight: Sendable {
        public let key: String
        let flightKey: String
    }

    public enum Role: Sendable {
        case leader(Flight)
        case follower(EventLoopFuture<FillResult>)
        case overflow
    }

    /// Joins the current flight for `key`, or becomes its leader. `bodyTagPrefixes`: the
    /// entry will also carry tags its body names, not known yet, starting with these.
    public func join(key: String, tags: [String], bodyTagPrefixes: [String] = [], on loop: EventLoop) -> Role {
        let promise = loop.makePromise(of: FillResult.self)
        let (result, flightKey): (JoinResult, String) = state.withLockedValue { s in
            let id: UInt64
            if let existing = s.currentFlight[key] {
                id = existing
            } else {
                id = s.nextFlight
                s.nextFlight &+= 1
                s.currentFlight[key] = id
            }
            let flightKey = "\(id)\u{0}\(key)"
            let joined = s.coalescer.join(key: flightKey, waiter: promise, maxWaiters: maxWaiters)
            if case .leader = joined { s.flightTags[flightKey] = (tags, bodyTagPrefixes) }
            return (joined, flightKey)
        }
        switch result {
        case .leader:
            promise.fail(CancelledFill())  // the leader does not wait on itself
            promise.futureResult.whenFailure { _ in }
            return .leader(Flight(key: key, flightKey: flightKey))
        case .follower:
            return .follower(promise.futureResult)
        case .overflow:
            promise.fail(CancelledFill())
            return .overflow
        }
    }

    /// Completes a flight: every follower gets `result`.
    public func finish(_ flight: Flight, with result: Result<FillResult, Error>) {
        let waiters = state.withLockedValue { s -> [EventLoopPromise<FillResult>] in
            s.flightTags[flight.flightKey] = nil
            if let id = s.currentFlight[flight.key], "\(id)\u{0}\(flight.key)" == flight.flightKey {
                s.currentFlight[flight.key] = nil
            }
            return s.coalescer.complete(key: flight.flightKey)
        }
        for waiter in waiters { waiter.completeWith(result) }
    }

    /// New requests for entries with any of `tags` (or any of `keys`) will not join fills in flight now.
    /// `all` detaches every flight (after the feed reconnects).
    public func detach(tags: Set<String>, keys: Set<String>, all: Bool = false) {
        state.withLockedValue { s in
            for (flightKey, flightTags) in s.flightTags {
                guard let separator = flightKey.firstIndex(of: "\u{0}") else { continue }
                let key = String(flightKey[flightKey.index(after: separator)...])
                let bodyMayHold = !flightTags.bodyTagPrefixes.isEmpty && tags.contains { tag in flightTags.bodyTagPrefixes.contains { tag.hasPrefix($0) } }
                if all || keys.contains(key) || flightTags.tags.contains(where: tags.contains) || bodyMayHold {
                    if let id = s.currentFlight[key], "\(id)\u{0}\(key)" == flightKey { s.currentFlight[key] = nil }
                }
            }
        }
    }

    /// Whether new requests for `key` would join a flight in progress.
    public func hasFlight(for key: String) -> Bool {
        state.withLockedValue { $0.currentFlight[key] != nil }
    }

    /// Flights in progress (for tests and metrics).
    public var inFlight: Int { state.withLockedValue { $0.coalescer.inFlightCount } }
}

/// The leader's own promise is never awaited; it is failed with this to release it.
struct CancelledFill: Error {}

