import NIOConcurrencyHelpers
import NIOCore

/// Listens to the sentinels' `+switch-master` announcements for one master and reports each
/// new primary, so a client can drop its connections to the old one at once instead of
/// waiting for it to be demoted (or, cut off from the sentinels, to keep taking writes).
///
/// Invariants:
/// - At most one subscription at a time, on the first sentinel that accepts it; when it
///   closes, the next sentinel (round robin) is tried after ``retryDelay``, until ``stop()``.
/// - ``stop()`` is final: the subscription is closed and no new one is made.
final class SentinelSwitchWatcher: Sendable {
    private struct State {
        var channel: Channel?
        var next = 0
        var stopped = false
    }

    private let connector: RedisConnector
    private let sentinels: [RedisAddress]
    private let masterName: String
    private let eventLoop: EventLoop
    private let onSwitch: @Sendable (RedisAddress) -> Void
    private let state = NIOLockedValueBox(State())
    static let retryDelay = TimeAmount.seconds(1)

    init(connector: RedisConnector, sentinels: [RedisAddress], masterName: String, eventLoop: EventLoop, onSwitch: @escaping @Sendable (RedisAddress) -> Void) {
        self.connector = connector
        self.sentinels = sentinels
        self.masterName = masterName
        self.eventLoop = eventLoop
        self.onSwitch = onSwitch
    }

    func start() { subscribe() }

    func stop() {
        let channel = state.withLockedValue { state -> Channel? in
            state.stopped = true
            defer { state.channel = nil }
            return state.channel
        }
        channel?.close(promise: nil)
    }

    private func subscribe() {
        let sentinel: RedisAddress? = state.withLockedValue { state in
            guard !state.stopped, !sentinels.isEmpty else { return nil }
            defer { state.next = (state.next + 1) % sentinels.count }
            return sentinels[state.next]
        }
        guard let sentinel else { return }
        let handler = SwitchMessageHandler(masterName: masterName, password: connector.configuration.sentinelPassword, onSwitch: onSwitch)
        connector.subscriptionChannel(to: sentinel, handler: handler, on: eventLoop).whenComplete { result in
            switch result {
            case .success(let channel):
                let keep = self.state.withLockedValue { state -> Bool in
                    guard !state.stopped else { return false }
                    state.channel = channel
                    return true
                }
                guard keep else { channel.close(promise: nil); return }
                channel.closeFuture.whenComplete { _ in self.retryLater() }
            case .failure:
                self.retryLater()
            }
        }
    }

    private func retryLater() {
        guard !state.withLockedValue({ $0.stopped }) else { return }
        eventLoop.scheduleTask(in: Self.retryDelay) { self.subscribe() }
    }
}

/// Subscribes to `+switch-master` when the channel becomes active (after `AUTH` when the
/// sentinels have a password), then turns each
/// announcement for ``masterName`` (`<name> <old-ip> <old-port> <new-ip> <new-port>`) into
/// the new primary's address.
final class SwitchMessageHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = RESPValue
    typealias OutboundOut = ByteBuffer

    let masterName: String
    let password: String?
    let onSwitch: @Sendable (RedisAddress) -> Void

    init(masterName: String, password: String?, onSwitch: @escaping @Sendable (RedisAddress) -> Void) {
        self.masterName = masterName
        self.password = password
        self.onSwitch = onSwitch
    }

    func channelActive(context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: 64)
        do {
            if let password { try RedisCommand.auth(username: nil, password: password).encode(into: &buffer) }
            try RedisCommand("SUBSCRIBE", "+switch-master").encode(into: &buffer)
        } catch {
            context.close(promise: nil)
            return
        }
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .error = unwrapInboundIn(data) {  // AUTH or SUBSCRIBE refused: let the watcher try another sentinel
            context.close(promise: nil)
            return
        }
        guard let message = unwrapInboundIn(data).array, message.count == 3, message[0].string == "message",
              let payload = message[2].string
        else { return }
        if let address = Self.newPrimary(in: payload, masterName: masterName) { onSwitch(address) }
    }

    /// The new primary in a `+switch-master` payload for `masterName`, else nil.
    static func newPrimary(in payload: String, masterName: String) -> RedisAddress? {
        let fields = payload.split(separator: " ")
        guard fields.count == 5, fields[0] == masterName, let port = Int(fields[4]) else { return nil }
        return RedisAddress(host: String(fields[3]), port: port)
    }
}
