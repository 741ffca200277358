import CatalogCacheCore
import CatalogHTTP
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// `GET /admin/events` on the proxy port: live admin events as server-sent events.
///
/// The `AdminEventHub` decides (under a lock); this shell writes to the subscribers'
/// channels after the lock. Events come from `rowChanged`, on the feed's thread, after the
/// change's local drop: an admin page refetching on an event reads the new data. Publishing
/// never waits for a socket: writes are queued on each subscriber's loop and a subscriber too
/// far behind is closed.
public final class AdminEventStreams: InvalidationObserver {
    private struct State {
        var hub: AdminEventHub
        var channels: [UInt64: Channel] = [:]
    }

    private let state: NIOLockedValueBox<State>
    private let map: AdminEventMap
    private let authorizer: AdminAuthorizer
    private let configuration: AdminEventsConfiguration
    private let metrics: EdgeMetrics
    /// The proxy port's sent bytes (`catalog_cache_client_bytes_sent_total`): streams write
    /// to their channels directly.
    private let bytesSent: Counter?
    private let logger: Logger

    init(configuration: AdminEventsConfiguration, upstream: UpstreamPool, metrics: EdgeMetrics, bytesSent: Counter? = nil, logger: Logger) {
        let limits = AdminEventHub.Limits(maxSubscribers: configuration.maxSubscribers, subscriberBuffer: configuration.subscriberBufferEvents, replayEvents: configuration.replayEvents)
        let epoch = String(UInt64(Date().timeIntervalSince1970 * 1000), radix: 36) + String(UInt16.random(in: 0...UInt16.max), radix: 36)
        self.state = NIOLockedValueBox(State(hub: AdminEventHub(limits: limits, epoch: epoch)))
        self.map = AdminEventMap(names: configuration.tables)
        self.authorizer = AdminAuthorizer(upstream: upstream, path: configuration.authorizationPath)
        self.configuration = configuration
        self.metrics = metrics
        self.bytesSent = bytesSent
        self.logger = logger
    }

    /// Whether this request is a subscription (GET /admin/events).
    func handles(_ request: ProxyRequest) -> Bool {
        // The prefix first: every GET on the proxy port asks, and splitting its target costs.
        request.head.method == .GET && request.head.uri.utf8.starts(with: "/admin/events".utf8) && request.target.path == "/admin/events"
    }

    // MARK: Publishing

    public func dropped(tags: [String], keys: [String], all: Bool) {}

    public func rowChanged(table: String, op: RowOperation, ids: [String]) {
        let events = map.events(table: table, op: op, ids: ids)
        guard !events.isEmpty else { return }
        let started = MonotonicClock.nanoseconds()
        var writes: [(Channel, ByteBuffer, UInt64)] = []
        var drops: [Channel] = []
        let subscribers = state.withLockedValue { state in
            for (name, data) in events {
                let (event, deliveries) = state.hub.publish(name: name, data: data)
                let frame = ByteBuffer(string: EventStreamFormat.frame(id: state.hub.id(of: event), event: name, data: data))
                for delivery in deliveries {
                    switch delivery {
                    case .write(let subscriber):
                        if let channel = state.channels[subscriber] { writes.append((channel, frame, subscriber)) }
                    case .drop(let subscriber):
                        if let channel = state.channels.removeValue(forKey: subscriber) { drops.append(channel) }
                    }
                }
            }
            return state.hub.subscriberCount
        }
        metrics.eventsPublished.increment(by: events.count)
        metrics.eventSubscribers.set(subscribers)
        for (channel, frame, subscriber) in writes {
            bytesSent?.increment(by: frame.readableBytes)
            channel.writeAndFlush(frame).whenComplete { _ in self.state.withLockedValue { $0.hub.written(subscriber) } }
        }
        metrics.eventsSent.increment(by: writes.count)
        for channel in drops {
            metrics.eventSubscribersDropped.increment("slow")
            channel.close(promise: nil)
        }
        if !writes.isEmpty { metrics.invalidatedToEvent.observe(Double(MonotonicClock.nanoseconds() - started) / 1e9) }
    }

    // MARK: Subscribing

    /// Authorizes the request with the upstream, then streams on `channel`; call on its loop.
    /// A refusal goes to `refuse` (on the loop) as a normal JSON response.
    func open(_ request: ProxyRequest, channel: Channel, refuse: @escaping @Sendable (ProxyResponse) -> Void) {
        let credentials = AdminAuthorizer.Credentials(request.head.headers)
        let version = request.head.version
        let lastEventID = request.head.headers.first(name: "last-event-id")
        authorizer.check(credentials, on: channel.eventLoop).whenSuccess { verdict in
            switch verdict {
            case .admin:
                self.stream(on: channel, version: version, lastEventID: lastEventID, credentials: credentials, refuse: refuse)
            case .refused(let status):
                self.metrics.eventSubscriptionsRefused.increment(String(status.code))
                refuse(.error(status, code: status == .forbidden ? "forbidden" : "unauthorized", message: "the upstream refused these credentials for admin events (\(status.code))", version: version))
            case .unavailable(let status, let reason):
                self.metrics.eventSubscriptionsRefused.increment(String(status.code))
                refuse(.error(status, code: "upstream_unavailable", message: "could not ask the upstream whether this is an admin: \(reason)", version: version))
            }
        }
    }

    private func stream(on channel: Channel, version: HTTPVersion, lastEventID: String?, credentials: AdminAuthorizer.Credentials, refuse: @escaping @Sendable (ProxyResponse) -> Void) {
        channel.eventLoop.preconditionInEventLoop()
        guard channel.isActive else { return }
        // Subscribing and writing what it returns happen in one go on the loop: events
        // published meanwhile are queued behind these writes.
        let (subscription, frames, count) = state.withLockedValue { state -> (AdminEventHub.Subscription, [String], Int) in
            let subscription = state.hub.subscribe(lastEventID: lastEventID)
            var frames: [String] = []
            if case .accepted(let subscriber, let replay, let reset) = subscription {
                state.channels[subscriber] = channel
                if reset { frames.append(EventStreamFormat.frame(id: state.hub.resetID, event: "reset", data: "{}")) }
                for event in replay { frames.append(EventStreamFormat.frame(id: state.hub.id(of: event), event: event.name, data: event.data)) }
            }
            return (subscription, frames, state.hub.subscriberCount)
        }
        guard case .accepted(let subscriber, _, _) = subscription else {
            metrics.eventSubscriptionsRefused.increment("503")
            metrics.eventSubscribersDropped.increment("full")
            refuse(.error(.serviceUnavailable, code: "too_many_subscribers", message: "the proxy has \(configuration.maxSubscribers) admin event streams open", version: version, close: true))
            return
        }
        metrics.eventSubscribers.set(count)
        let head = "HTTP/\(version.major).\(version.minor) 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nCache-Control: no-store\r\nX-Accel-Buffering: no\r\nConnection: close\r\n\r\n"
        var buffer = channel.allocator.buffer(capacity: 256)
        buffer.writeString(head)
        buffer.writeString(EventStreamFormat.retry(milliseconds: 2000))
        for frame in frames { buffer.writeString(frame) }
        let replayed = frames.count
        bytesSent?.increment(by: buffer.readableBytes)
        channel.writeAndFlush(buffer).whenComplete { _ in self.state.withLockedValue { $0.hub.written(subscriber, count: replayed) } }
        metrics.eventsSent.increment(by: replayed)

        let loop = channel.eventLoop
        let heartbeat = loop.scheduleRepeatedTask(initialDelay: .seconds(Int64(configuration.heartbeatSeconds)), delay: .seconds(Int64(configuration.heartbeatSeconds))) { _ in
            let beat = ByteBuffer(string: EventStreamFormat.heartbeat)
            self.bytesSent?.increment(by: beat.readableBytes)
            channel.writeAndFlush(beat, promise: nil)
        }
        let recheck = loop.scheduleRepeatedTask(initialDelay: .seconds(Int64(configuration.recheckSeconds)), delay: .seconds(Int64(configuration.recheckSeconds))) { _ in
            self.authorizer.check(credentials, on: loop).whenSuccess { verdict in
                switch verdict {
                case .admin: break
                case .refused(let status):
                    self.metrics.eventSubscribersDropped.increment("unauthorized")
                    self.logger.info("admin events: closed a stream whose credentials the upstream now refuses (\(status.code))")
                    channel.close(promise: nil)
                case .unavailable(_, let reason):
                    // The credentials were not refused: the stream stays until the next check.
                    self.logger.warning("admin events: could not re-check a subscriber: \(reason)")
                }
            }
        }
        channel.closeFuture.whenComplete { _ in
            heartbeat.cancel()
            recheck.cancel()
            let count = self.state.withLockedValue { state in
                state.hub.unsubscribe(subscriber)
                state.channels[subscriber] = nil
                return state.hub.subscriberCount
            }
            self.metrics.eventSubscribers.set(count)
        }
    }

    /// The newest events with their ids, oldest first (the dashboard).
    public func recent(_ limit: Int) -> [(id: String, event: AdminEvent)] {
        state.withLockedValue { state in state.hub.recent(limit).map { (state.hub.id(of: $0), $0) } }
    }

    /// Open streams (tests, the dashboard).
    public var subscriberCount: Int { state.withLockedValue { $0.hub.subscriberCount } }

    /// Closes every stream (shutdown: clients reconnect elsewhere with their Last-Event-ID).
    func closeAll() {
        let channels = state.withLockedValue { Array($0.channels.values) }
        for channel in channels { channel.close(promise: nil) }
    }
}
