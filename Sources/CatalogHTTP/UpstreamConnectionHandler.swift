import NIOCore
import NIOHTTP1

/// The last handler of an upstream connection's pipeline (after the `HTTPRequestEncoder` and
/// `HTTPResponseDecoder` of `addHTTPClientHandlers`). It runs one request at a time through
/// an ``UpstreamRequestStateMachine`` and executes the machine's actions: writing the request,
/// completing the request's promise, closing the connection, and the timers.
///
/// Invariants:
/// - Used only on its channel's event loop.
/// - Holds a promise exactly while a request is in flight; that promise is completed exactly
///   once, after the timers are cancelled, the connection closed (when not reusable) and
///   `onRequestDone` called, so a caller that reacts to the response finds the connection
///   already back in the pool.
/// - The read timer and the total timer exist only while a request is in flight; the idle
///   timer only while the connection is idle.
final class UpstreamConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private var stateMachine: UpstreamRequestStateMachine
    private let readTimeout: TimeAmount
    private let idleTimeout: TimeAmount
    private var context: ChannelHandlerContext?
    private var promise: EventLoopPromise<UpstreamResponse>?
    private var lastReadAt: NIODeadline = .uptimeNanoseconds(0)
    private var readTimer: Scheduled<Void>?
    private var totalTimer: Scheduled<Void>?
    private var idleTimer: Scheduled<Void>?

    /// Called once at the end of every request, before its promise completes: `true` when the
    /// connection stays open and idle, `false` when it is being closed.
    var onRequestDone: ((_ reusable: Bool) -> Void)?

    init(readTimeout: TimeAmount, idleTimeout: TimeAmount, maxResponseBodySize: Int) {
        self.readTimeout = readTimeout
        self.idleTimeout = idleTimeout
        self.stateMachine = UpstreamRequestStateMachine(maxResponseBodySize: maxResponseBodySize)
    }

    /// True when a request may be started: idle, and the channel still active.
    var isUsable: Bool {
        guard let context, stateMachine.isIdle else { return false }
        return context.channel.isActive
    }

    /// Sends `request` (its head already prepared) and completes `promise` with the response.
    /// `deadline` is the request's total deadline. Precondition: `isUsable`.
    func execute(_ request: UpstreamRequest, deadline: NIODeadline, promise: EventLoopPromise<UpstreamResponse>) {
        guard let context else { preconditionFailure("execute before the handler was added") }
        context.eventLoop.assertInEventLoop()
        let action = stateMachine.startRequest(request.head)
        precondition(action == .writeRequest)
        self.promise = promise
        cancelIdleTimer()
        startRequestTimers(context: context, deadline: deadline)

        let headWritten = context.eventLoop.makePromise(of: Void.self)
        headWritten.futureResult.assumeIsolated().whenFailure { [weak self] error in
            self?.writeFailed(error)
        }
        context.write(wrapOutboundOut(.head(request.head)), promise: headWritten)
        // A head rejected by the header validator fails synchronously: then send nothing more.
        guard self.promise?.futureResult === promise.futureResult, stateMachine.hasRequestInFlight else { return }
        if let body = request.body, body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        let endWritten = context.eventLoop.makePromise(of: Void.self)
        endWritten.futureResult.assumeIsolated().whenComplete { [weak self] result in
            guard let self else { return }
            switch result {
            case .success:
                self.run(self.stateMachine.requestWritten())
            case .failure(let error):
                self.writeFailed(error)
            }
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: endWritten)
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { startIdleTimer(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelAllTimers()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        if stateMachine.isIdle { startIdleTimer(context: context) }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        run(stateMachine.channelInactive())
        cancelAllTimers()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            run(stateMachine.receivedHead(head))
        case .body(let part):
            run(stateMachine.receivedBodyPart(part))
        case .end:
            run(stateMachine.receivedEnd(connectionClosing: !context.channel.isActive))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        run(stateMachine.errorCaught(error))
    }

    // MARK: Actions

    private func writeFailed(_ error: any Error) {
        run(stateMachine.requestWriteFailed(error))
    }

    private func run(_ action: UpstreamRequestStateMachine.Action) {
        switch action {
        case .none, .writeRequest:
            break
        case .resetReadTimer:
            if let context { lastReadAt = context.eventLoop.now }
        case .succeedRequest(let response, let reuse):
            let promise = finishRequest(keepOpen: reuse)
            promise?.succeed(response)
        case .failRequest(let error):
            let promise = finishRequest(keepOpen: false)
            promise?.fail(error)
        case .closeConnection:
            cancelAllTimers()
            context?.close(promise: nil)
        }
    }

    /// Ends the current request's bookkeeping and returns its promise for the caller to
    /// complete last.
    private func finishRequest(keepOpen: Bool) -> EventLoopPromise<UpstreamResponse>? {
        let promise = self.promise
        self.promise = nil
        cancelAllTimers()
        if keepOpen {
            if let context { startIdleTimer(context: context) }
        } else {
            context?.close(promise: nil)
        }
        onRequestDone?(keepOpen)
        return promise
    }

    // MARK: Timers

    private func startRequestTimers(context: ChannelHandlerContext, deadline: NIODeadline) {
        let loop = context.eventLoop
        lastReadAt = loop.now
        scheduleReadTimer(on: loop, at: lastReadAt + readTimeout)
        totalTimer = loop.assumeIsolated().scheduleTask(deadline: deadline) { [weak self] in
            guard let self else { return }
            self.totalTimer = nil
            self.run(self.stateMachine.totalTimeoutFired())
        }
    }

    /// One scheduled task per request: when it fires early because data arrived meanwhile,
    /// it re-arms itself for `lastReadAt + readTimeout` instead of being rescheduled per read.
    private func scheduleReadTimer(on loop: any EventLoop, at deadline: NIODeadline) {
        readTimer = loop.assumeIsolated().scheduleTask(deadline: deadline) { [weak self] in
            guard let self else { return }
            self.readTimer = nil
            guard self.stateMachine.hasRequestInFlight else { return }
            let due = self.lastReadAt + self.readTimeout
            if loop.now < due {
                self.scheduleReadTimer(on: loop, at: due)
            } else {
                self.run(self.stateMachine.readTimeoutFired())
            }
        }
    }

    private func startIdleTimer(context: ChannelHandlerContext) {
        idleTimer?.cancel()
        idleTimer = context.eventLoop.assumeIsolated().scheduleTask(in: idleTimeout) { [weak self] in
            guard let self else { return }
            self.idleTimer = nil
            self.run(self.stateMachine.closeRequested())
        }
    }

    private func cancelIdleTimer() {
        idleTimer?.cancel()
        idleTimer = nil
    }

    private func cancelAllTimers() {
        readTimer?.cancel()
        readTimer = nil
        totalTimer?.cancel()
        totalTimer = nil
        cancelIdleTimer()
    }
}
