import CatalogCacheCore
import NIOCore
import Synchronization

/// One pub/sub connection per client process, shared by every listener: `SUBSCRIBE`s a
/// channel while it has listeners and calls each listener's `onMessage` (on the listener's
/// own event loop) when a message is published on it. The bookkeeping is
/// ``PubSubSubscriptions`` (Core); this class owns the connection and performs its effects.
///
/// Invariants:
/// - Every piece of state is confined to ``eventLoop``: calls from other loops hop onto it,
///   so commands reach the server in the order the bookkeeping decided them.
/// - ``listen(to:on:onMessage:)`` answers true only once the server confirmed the channel's
///   subscription (a message published after that reaches the listener); false while the
///   connection is down: the listener must not rely on messages, though it stays registered.
/// - The connection is remade after it closes (``retryDelays``, round robin over a cluster's
///   seeds, the sentinels asked again), its channels subscribed again and their listeners
///   called once, since messages sent meanwhile were lost. ``stop()`` is final.
public final class RedisSubscriber: @unchecked Sendable {
    /// A listener's registration, for ``unlisten(_:)``.
    public struct Listener: Sendable, Hashable {
        let id: UInt64
        let channel: String
    }

    private struct Registered {
        let loop: EventLoop
        let onMessage: @Sendable () -> Void
        var live: EventLoopPromise<Bool>?
    }

    public let eventLoop: EventLoop
    private let connector: RedisConnector
    private var subscriptions = PubSubSubscriptions<UInt64>()
    private var registered: [UInt64: Registered] = [:]
    private let ids = Atomic<UInt64>(0)
    private var channel: Channel?
    private var attempts = 0
    private var stopped = false
    /// Waits before reconnecting: doubling from the first, capped at the last.
    static let retryDelays: [TimeAmount] = [.milliseconds(100), .milliseconds(200), .milliseconds(500), .seconds(1)]

    public init(connector: RedisConnector, eventLoop: EventLoop) {
        self.connector = connector
        self.eventLoop = eventLoop
    }

    /// Makes the connection (and keeps making it until ``stop()``).
    public func start() {
        eventLoop.execute { self.connect() }
    }

    public func stop() {
        eventLoop.execute {
            self.stopped = true
            self.channel?.close(promise: nil)
            self.channel = nil
            for (_, listener) in self.registered { listener.live?.succeed(false) }
            self.registered = [:]
        }
    }

    /// Calls `onMessage` on `loop` for each message published on `channel` from when the
    /// answer (on `loop`) is true, until ``unlisten(_:)``.
    public func listen(to channel: String, on loop: EventLoop, onMessage: @escaping @Sendable () -> Void) -> (Listener, EventLoopFuture<Bool>) {
        let promise = loop.makePromise(of: Bool.self)
        let listener = Listener(id: ids.add(1, ordering: .relaxed).newValue, channel: channel)
        eventLoop.execute {
            guard !self.stopped else {
                promise.succeed(false)
                return
            }
            self.registered[listener.id] = Registered(loop: loop, onMessage: onMessage, live: promise)
            self.perform(self.subscriptions.add(listener.id, to: channel))
        }
        return (listener, promise.futureResult)
    }

    /// Ends `listener`'s registration (unsubscribing its channel when it was the last).
    public func unlisten(_ listener: Listener) {
        eventLoop.execute {
            guard let gone = self.registered.removeValue(forKey: listener.id) else { return }
            gone.live?.succeed(false)
            self.perform(self.subscriptions.remove(listener.id, from: listener.channel))
        }
    }

    private func perform(_ effects: [PubSubSubscriptions<UInt64>.Effect]) {
        for effect in effects {
            switch effect {
            case .subscribe(let channels): send(RedisCommand(arguments: ["SUBSCRIBE"] + channels))
            case .unsubscribe(let channels): send(RedisCommand(arguments: ["UNSUBSCRIBE"] + channels))
            case .live(let id, let live):
                registered[id]?.live?.succeed(live)
                registered[id]?.live = nil
            case .wake(let ids):
                for id in ids {
                    guard let listener = registered[id] else { continue }
                    listener.loop.execute { listener.onMessage() }
                }
            }
        }
    }

    private func send(_ command: RedisCommand) {
        guard let channel else { return }
        var buffer = channel.allocator.buffer(capacity: 64)
        do { try command.encode(into: &buffer) } catch { return }
        channel.writeAndFlush(buffer, promise: nil)
    }

    private func connect() {
        guard !stopped, channel == nil else { return }
        let attempt = attempts
        attempts += 1
        connector.subscriberAddress(attempt: attempt, on: eventLoop).flatMap { address in
            self.connector.subscriptionChannel(to: address, handler: SubscriberReplyHandler(subscriber: self), on: self.eventLoop)
        }.hop(to: eventLoop).whenComplete { result in
            switch result {
            case .success(let channel):
                guard !self.stopped else { channel.close(promise: nil); return }
                self.channel = channel
                channel.closeFuture.hop(to: self.eventLoop).whenComplete { _ in self.connectionLost(channel) }
                if let password = self.connector.configuration.password {
                    self.send(.auth(username: self.connector.configuration.username, password: password))
                }
                self.perform(self.subscriptions.connectionUp())
            case .failure:
                self.retryLater()
            }
        }
    }

    private func connectionLost(_ lost: Channel) {
        guard channel === lost else { return }
        channel = nil
        perform(subscriptions.connectionDown())
        retryLater()
    }

    private func retryLater() {
        guard !stopped else { return }
        let delay = Self.retryDelays[min(max(attempts - 1, 0), Self.retryDelays.count - 1)]
        eventLoop.scheduleTask(in: delay) { self.connect() }
    }

    /// A reply on the connection (on ``eventLoop``).
    fileprivate func received(_ reply: RESPValue, on channel: Channel) {
        guard self.channel === channel else { return }
        if case .error = reply {  // AUTH or SUBSCRIBE refused: start again
            channel.close(promise: nil)
            return
        }
        guard let parts = reply.array, parts.count == 3, let kind = parts[0].string, let name = parts[1].string else { return }
        switch kind {
        case "subscribe":
            attempts = 0
            perform(subscriptions.subscribeConfirmed(name))
        case "message":
            perform(subscriptions.message(name))
        default:
            break
        }
    }
}

/// Hands every decoded reply of the subscriber's connection to it.
private final class SubscriberReplyHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = RESPValue
    let subscriber: RedisSubscriber

    init(subscriber: RedisSubscriber) { self.subscriber = subscriber }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        subscriber.received(unwrapInboundIn(data), on: context.channel)
    }
}
