/// The channels of one pub/sub connection shared by many listeners, as a value: which
/// channels to `SUBSCRIBE` and `UNSUBSCRIBE`, when a listener's subscription is live, and whom
/// a message wakes. The shell (`RedisSubscriber`) sends the commands, reports the server's
/// replies and the connection's state, and performs the effects; this type does no I/O.
///
/// Invariants:
/// - A channel is subscribed once however many listeners it has, and unsubscribed when its
///   last listener leaves.
/// - A listener is told it is live only once the server has confirmed the `SUBSCRIBE` sent
///   after it asked (replies come in order, so that is the last one outstanding): a message
///   published after that reaches it. While the connection is down it is told at once that
///   it is not live, and stays registered.
/// - When the connection is made again every channel with listeners is subscribed again and,
///   once confirmed, its listeners are woken: messages sent meanwhile were lost.
public struct PubSubSubscriptions<Listener: Hashable & Sendable>: Sendable {
    public enum Effect: Sendable, Equatable {
        /// Send `SUBSCRIBE` for these channels.
        case subscribe([String])
        /// Send `UNSUBSCRIBE` for these channels.
        case unsubscribe([String])
        /// Tell `listener` whether its subscription is live (once per `add`).
        case live(Listener, Bool)
        /// A message (or a possibly lost one) for these listeners.
        case wake([Listener])
    }

    public private(set) var connected = false
    private var listeners: [String: Set<Listener>] = [:]
    /// `SUBSCRIBE` replies still to come, per channel, on this connection.
    private var awaitedReplies: [String: Int] = [:]
    /// Listeners not told yet, waiting for their channel's last outstanding reply.
    private var notTold: [String: [Listener]] = [:]
    /// Channels subscribed again after a reconnect: their listeners are woken when confirmed.
    private var wakeWhenConfirmed: Set<String> = []

    public init() {}

    /// How many channels have listeners.
    public var channelCount: Int { listeners.count }

    public mutating func add(_ listener: Listener, to channel: String) -> [Effect] {
        let inserted = listeners[channel, default: []].insert(listener).inserted
        guard connected else { return [.live(listener, false)] }
        guard inserted else { return [.live(listener, true)] }
        if listeners[channel]?.count == 1 {
            awaitedReplies[channel, default: 0] += 1
            notTold[channel, default: []].append(listener)
            return [.subscribe([channel])]
        }
        if awaitedReplies[channel, default: 0] > 0 {
            notTold[channel, default: []].append(listener)
            return []
        }
        return [.live(listener, true)]
    }

    public mutating func remove(_ listener: Listener, from channel: String) -> [Effect] {
        guard var members = listeners[channel], members.remove(listener) != nil else { return [] }
        notTold[channel]?.removeAll { $0 == listener }
        guard members.isEmpty else {
            listeners[channel] = members
            return []
        }
        listeners[channel] = nil
        notTold[channel] = nil
        wakeWhenConfirmed.remove(channel)
        // Replies still outstanding stay counted: a later SUBSCRIBE's reply comes after them.
        return connected ? [.unsubscribe([channel])] : []
    }

    /// The server's reply to one `SUBSCRIBE` of `channel`.
    public mutating func subscribeConfirmed(_ channel: String) -> [Effect] {
        guard let awaited = awaitedReplies[channel], awaited > 0 else { return [] }
        awaitedReplies[channel] = awaited > 1 ? awaited - 1 : nil
        guard awaited == 1 else { return [] }
        var effects = (notTold.removeValue(forKey: channel) ?? []).map { Effect.live($0, true) }
        if wakeWhenConfirmed.remove(channel) != nil, let members = listeners[channel] {
            effects.append(.wake(Array(members)))
        }
        return effects
    }

    /// A message published on `channel`.
    public func message(_ channel: String) -> [Effect] {
        guard let members = listeners[channel], !members.isEmpty else { return [] }
        return [.wake(Array(members))]
    }

    /// The connection is made (and authenticated): subscribe every channel with listeners.
    public mutating func connectionUp() -> [Effect] {
        connected = true
        let channels = listeners.keys.sorted()
        for channel in channels { awaitedReplies[channel] = 1 }
        wakeWhenConfirmed = Set(channels)
        return channels.isEmpty ? [] : [.subscribe(channels)]
    }

    /// The connection is lost: nothing is subscribed; listeners not told yet are told they
    /// are not live.
    public mutating func connectionDown() -> [Effect] {
        connected = false
        awaitedReplies = [:]
        wakeWhenConfirmed = []
        let effects = notTold.values.flatMap { $0 }.map { Effect.live($0, false) }
        notTold = [:]
        return effects
    }
}
