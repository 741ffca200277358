import NIOCore

/// Timeouts of a connection on the proxy port: `limits.idle_timeout_ms`,
/// `limits.header_timeout_ms` and `limits.body_timeout_ms`.
public struct ConnectionTimeouts: Sendable, Equatable {
    public var idle: TimeAmount
    public var header: TimeAmount
    public var body: TimeAmount

    public init(idle: TimeAmount = .seconds(60), header: TimeAmount = .seconds(10), body: TimeAmount = .seconds(30)) {
        self.idle = idle
        self.header = header
        self.body = body
    }

    public init(_ configuration: ProxyConfiguration) {
        self.init(
            idle: .milliseconds(Int64(configuration.idleTimeoutMilliseconds)),
            header: .milliseconds(Int64(configuration.headerTimeoutMilliseconds)),
            body: .milliseconds(Int64(configuration.bodyTimeoutMilliseconds))
        )
    }
}

/// The first handler of a proxy connection (it sees raw bytes, before the HTTP decoder):
/// keeps one deadline per phase of the connection and closes it when the deadline passes.
///
/// Phases and their deadlines:
/// - `idle` (connection open or previous response sent, no byte of a next request yet):
///   `idle`; on expiry the connection is closed without a response;
/// - `head` (a byte of a request arrived, its head is not complete): `header`, counted from
///   that first byte, so a client trickling a byte at a time (slowloris) cannot hold the
///   connection longer than that; on expiry a 408 JSON answer is written and it closes;
/// - `body` (head complete, body not finished): `body`, counted from the complete head; 408;
/// - `busy` (request complete, response not yet written): no deadline here (the upstream
///   timeouts bound it).
///
/// `ProxyHTTPHandler` reports the phase changes it sees (`headReceived`, `requestEnded`,
/// `responseEnding`); this handler sees the bytes. The 408 is written as raw bytes below
/// the HTTP handler, which is safe because the connection is closed right after it.
///
/// Timer discipline (a request changes phase four times; scheduling and cancelling a timer
/// each time was an eighth of a hit's cost): entering a phase only records its deadline.
/// One timer per connection is pending while it is open, armed for the earlier of the
/// phase's deadline and `shortest` (the smallest of the three timeouts) from the moment it
/// is armed; when it fires it closes the connection if the current phase's deadline has
/// passed and re-arms otherwise. Invariant: while the connection is open exactly one timer
/// is pending and it fires no later than the current phase's deadline, because a phase
/// entered at `t` has a deadline at or after `t + shortest`, which is at or after the
/// pending timer's. None is pending after close.
final class ConnectionDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    enum Phase: Equatable { case idle, head, body, busy, closed }

    private let timeouts: ConnectionTimeouts
    private let metrics: ProxyMetrics
    private(set) var phase = Phase.idle
    /// Bytes arrived while busy: the next request has started (pipelining).
    private var bytesWhileBusy = false
    /// When the current phase runs out; nil while busy or closed.
    private var phaseDeadline: NIODeadline?
    private var timer: Scheduled<Void>?
    private let shortest: TimeAmount
    private var context: ChannelHandlerContext?

    init(timeouts: ConnectionTimeouts, metrics: ProxyMetrics) {
        self.timeouts = timeouts
        self.metrics = metrics
        self.shortest = min(timeouts.idle, timeouts.header, timeouts.body)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { enter(.idle) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancel()
        phase = .closed
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        if timer == nil && phase == .idle { enter(.idle) }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancel()
        phase = .closed
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        metrics.clientBytesReceived.increment(by: unwrapInboundIn(data).readableBytes)
        switch phase {
        case .idle: enter(.head)
        case .busy: bytesWhileBusy = true
        case .head, .body, .closed: break
        }
        context.fireChannelRead(data)
    }

    /// A complete request head was decoded.
    func headReceived() {
        bytesWhileBusy = false
        enter(.body)
    }

    /// The request's body ended (or it was refused): the response is being prepared.
    func requestEnded() {
        enter(.busy)
    }

    /// A complete bodyless request was read in one piece: `headReceived` and `requestEnded`
    /// at once (the body phase it would pass through has no time to run out).
    func wholeRequestReceived() {
        bytesWhileBusy = false
        enter(.busy)
    }

    /// The last part of a response is about to be written (before any pipelined request
    /// held back by `ProxyHTTPHandler` is delivered).
    func responseEnding() {
        guard phase == .busy || phase == .body else { return }
        let next: Phase = bytesWhileBusy ? .head : .idle
        bytesWhileBusy = false
        enter(next)
    }

    private func cancel() {
        timer?.cancel()
        timer = nil
        phaseDeadline = nil
    }

    private func enter(_ next: Phase) {
        guard phase != .closed, let context else { return }
        phase = next
        if next == .busy && timer != nil {
            // No deadline while busy, and the pending timer re-arms itself: no clock read.
            phaseDeadline = nil
            return
        }
        let now = context.eventLoop.now
        switch next {
        case .idle: phaseDeadline = now + timeouts.idle
        case .head: phaseDeadline = now + timeouts.header
        case .body: phaseDeadline = now + timeouts.body
        case .busy, .closed: phaseDeadline = nil
        }
        if timer == nil { arm(context: context, now: now) }
    }

    private func arm(context: ChannelHandlerContext, now: NIODeadline) {
        let at = min(phaseDeadline ?? .distantFuture, now + shortest)
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(deadline: at) { loopBound.value.timerFired() }
    }

    private func timerFired() {
        timer = nil
        guard phase != .closed, let context else { return }
        let now = context.eventLoop.now
        if let phaseDeadline, now >= phaseDeadline {
            expired(phase)
        } else {
            arm(context: context, now: now)
        }
    }

    private func expired(_ expiredPhase: Phase) {
        guard phase == expiredPhase, let context else { return }
        cancel()
        phase = .closed
        switch expiredPhase {
        case .idle:
            metrics.connectionTimeouts.increment("idle")
            context.close(promise: nil)
        case .head, .body:
            let kind = expiredPhase == .head ? "header" : "body"
            metrics.connectionTimeouts.increment(kind)
            metrics.clientErrors.increment("request_timeout")
            metrics.recordRequest(routeIndex: nil, outcome: .bypass, status: 408, startedNanoseconds: MonotonicClock.nanoseconds(), key: "")
            let message = expiredPhase == .head ? "the request head did not arrive in time" : "the request body did not arrive in time"
            let body = "{\"error\":\"request_timeout\",\"message\":\"\(message)\"}"
            let text = "HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: \(body.utf8.count)\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n\(body)"
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            metrics.clientBytesSent.increment(by: text.utf8.count)
            context.writeAndFlush(NIOAny(ByteBuffer(string: text))).whenComplete { _ in loopBound.value.close(promise: nil) }
        case .busy, .closed:
            break
        }
    }
}
