/// The live admin event stream of one proxy instance as a value: the recent events kept for
/// `Last-Event-ID`, the subscribers and how far each one's socket lags.
///
/// Invariants:
/// - at most `maxSubscribers` subscribers; at most `replayEvents` events kept, the newest;
/// - event ids are `<epoch>-<sequence>`: a client coming back to another process (another
///   epoch) gets a reset, never the wrong events;
/// - a subscriber with `subscriberBuffer` events written and not yet taken by its socket gets
///   no more: `publish` drops it instead, so a slow reader never holds up the feed or anyone
///   else, and what is buffered for it stays bounded;
/// - a resuming subscriber gets exactly the events after its last one when they are all still
///   kept and no more than `subscriberBuffer`; otherwise it is told to reset.
public struct AdminEventHub: Sendable {
    public struct Limits: Sendable, Equatable {
        public var maxSubscribers: Int
        public var subscriberBuffer: Int
        public var replayEvents: Int

        public init(maxSubscribers: Int, subscriberBuffer: Int, replayEvents: Int) {
            self.maxSubscribers = max(0, maxSubscribers)
            self.subscriberBuffer = max(1, subscriberBuffer)
            self.replayEvents = max(0, replayEvents)
        }
    }

    public enum Subscription: Sendable, Equatable {
        /// Write `replay` (in order) first; with `reset`, a `reset` event first instead
        /// (the client's missed events are gone: it should refetch everything).
        case accepted(subscriber: UInt64, replay: [AdminEvent], reset: Bool)
        case full
    }

    public enum Delivery: Sendable, Equatable {
        case write(subscriber: UInt64)
        /// Too far behind: close its stream.
        case drop(subscriber: UInt64)
    }

    public let limits: Limits
    public let epoch: String
    private var kept: [AdminEvent] = []
    /// Index in `kept` of the oldest kept event (the ones before it are discarded).
    private var head = 0
    private var nextSequence: UInt64 = 1
    /// Subscriber to events written and not yet taken by its socket.
    private var lag: [UInt64: Int] = [:]
    private var nextSubscriber: UInt64 = 1

    public init(limits: Limits, epoch: String) {
        self.limits = limits
        self.epoch = epoch
    }

    public var subscriberCount: Int { lag.count }
    public var lastSequence: UInt64 { nextSequence - 1 }

    public func id(of event: AdminEvent) -> String { "\(epoch)-\(event.sequence)" }
    /// The id a reset event carries: the newest sequence, so a client resuming from it misses nothing.
    public var resetID: String { "\(epoch)-\(lastSequence)" }

    public mutating func subscribe(lastEventID: String?) -> Subscription {
        guard lag.count < limits.maxSubscribers else { return .full }
        let subscriber = nextSubscriber
        nextSubscriber += 1
        var replay: [AdminEvent] = []
        var reset = false
        if let lastEventID {
            if let seen = sequence(in: lastEventID), seen <= lastSequence {
                let oldestKept = head < kept.count ? kept[head].sequence : nextSequence
                let missed = Int(lastSequence - seen)
                if seen + 1 >= oldestKept && missed <= limits.subscriberBuffer {
                    replay = Array(kept[(kept.count - missed)...])
                } else {
                    reset = true
                }
            } else {
                reset = true
            }
        }
        lag[subscriber] = replay.count + (reset ? 1 : 0)
        return .accepted(subscriber: subscriber, replay: replay, reset: reset)
    }

    public mutating func unsubscribe(_ subscriber: UInt64) {
        lag[subscriber] = nil
    }

    /// A new event for every subscriber; returns it and, per subscriber, write or drop.
    /// Dropped subscribers are already removed.
    public mutating func publish(name: String, data: String) -> (AdminEvent, [Delivery]) {
        let event = AdminEvent(sequence: nextSequence, name: name, data: data)
        nextSequence += 1
        if limits.replayEvents > 0 {
            kept.append(event)
            if kept.count - head > limits.replayEvents { head += 1 }
            if head >= 1024 && head * 2 >= kept.count {
                kept.removeFirst(head)
                head = 0
            }
        }
        var deliveries: [Delivery] = []
        deliveries.reserveCapacity(lag.count)
        for (subscriber, behind) in lag.sorted(by: { $0.key < $1.key }) {
            if behind >= limits.subscriberBuffer {
                lag[subscriber] = nil
                deliveries.append(.drop(subscriber: subscriber))
            } else {
                lag[subscriber] = behind + 1
                deliveries.append(.write(subscriber: subscriber))
            }
        }
        return (event, deliveries)
    }

    /// The socket of `subscriber` took `count` events.
    public mutating func written(_ subscriber: UInt64, count: Int = 1) {
        guard let behind = lag[subscriber] else { return }
        lag[subscriber] = max(0, behind - count)
    }

    /// The newest kept events, oldest first, at most `limit`.
    public func recent(_ limit: Int) -> [AdminEvent] {
        Array(kept[max(head, kept.count - max(0, limit))...])
    }

    /// The sequence of an id of this epoch, nil for another epoch or a malformed id.
    private func sequence(in id: String) -> UInt64? {
        guard let dash = id.lastIndex(of: "-"), id[..<dash] == epoch[...] else { return nil }
        return UInt64(id[id.index(after: dash)...])
    }
}
