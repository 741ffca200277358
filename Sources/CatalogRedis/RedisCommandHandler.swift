import NIOCore

/// Duplex handler that pipelines commands: encodes each written ``RedisRequest`` into one
/// outbound buffer, keeps their promises in a FIFO, and completes the oldest promise with
/// each decoded reply.
///
/// Invariants (all state lives on the channel's event loop):
/// - Replies match requests strictly in FIFO order; a reply with no pending request is a
///   protocol violation and closes the channel.
/// - Writes are batched: every command written during one event-loop tick is appended to a
///   single buffer, and one `write` + `flush` of that buffer is scheduled for the end of
///   the tick (an explicit `flush` sends it earlier).
/// - Once the handler has failed (timeout, protocol error, close) it fails every pending
///   and every later request with the same error; no promise is ever left uncompleted.
/// - One timer at most: it watches the oldest pending request's deadline. Deadlines are
///   FIFO-ordered (same timeout for every command), so the head expires first. When it
///   expires, and is still unanswered after one more pass of the event loop (a reply that
///   arrived in time behind a busy loop is read, not timed out), the connection is closed,
///   because later replies can no longer be matched.
/// - A timeout is `.timeout` only when the loop ran both timers (the deadline's and the extra
///   pass's) less than `lagLimit` (a quarter of the timeout) late; otherwise the loop itself
///   was lagging, and every pending request fails with `.timedOutWhileLoopLagged`, which a
///   circuit breaker must not take for Redis being down.
final class RedisCommandHandler: ChannelDuplexHandler {
    typealias InboundIn = RESPValue
    typealias OutboundIn = RedisRequest
    typealias OutboundOut = ByteBuffer

    private struct Pending {
        let promise: EventLoopPromise<RESPValue>
        let deadline: NIODeadline
    }

    private let commandTimeout: TimeAmount
    private var pending = CircularBuffer<Pending>(initialCapacity: 16)
    private var outbound: ByteBuffer
    private var flushScheduled = false
    private var timer: Scheduled<Void>?
    private var failure: RedisError?
    /// The deadline of the request given one more pass of the event loop before it times out.
    private var graceGiven: NIODeadline?
    /// Long enough for the loop to read the socket once more before the timer runs again.
    static let gracePass = TimeAmount.milliseconds(1)
    /// A timer that runs at least this much later than asked shows a lagging loop.
    let lagLimit: TimeAmount
    /// The deadline timer of the head that is in its extra pass ran `lagLimit` late or more.
    private var laggedBeforeGrace = false

    init(commandTimeout: TimeAmount) {
        self.commandTimeout = commandTimeout
        self.lagLimit = .nanoseconds(max(commandTimeout.nanoseconds / 4, 1))
        self.outbound = ByteBufferAllocator().buffer(capacity: 0)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        outbound = context.channel.allocator.buffer(capacity: 1024)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        fail(.connectionClosed)
    }

    // MARK: Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        if let failure {
            request.promise.fail(failure)
            promise?.fail(failure)
            return
        }
        do {
            try request.command.encode(into: &outbound)
        } catch {
            request.promise.fail(error)
            promise?.fail(error)
            return
        }
        pending.append(Pending(promise: request.promise, deadline: .now() + commandTimeout))
        promise?.succeed(())
        if timer == nil { armTimer(context: context) }
        if !flushScheduled {
            flushScheduled = true
            context.eventLoop.assumeIsolated().execute {
                self.flushScheduled = false
                self.flush(context: context)
            }
        }
    }

    func flush(context: ChannelHandlerContext) {
        guard outbound.readableBytes > 0 else { return }
        let bytes = outbound
        outbound = context.channel.allocator.buffer(capacity: 1024)
        context.write(wrapOutboundOut(bytes), promise: nil)
        context.flush()
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let value = unwrapInboundIn(data)
        guard let head = pending.popFirst() else {
            fail(.protocolError("reply without a pending command"), context: context)
            return
        }
        if case .error(let message) = value {
            head.promise.fail(RedisError.server(message))
        } else {
            head.promise.succeed(value)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        fail(error as? RedisError ?? .connectFailed("\(error)"), context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(.connectionClosed)
        context.fireChannelInactive()
    }

    // MARK: Failure and timeouts

    /// Fails everything pending with `error` (timed-out requests with `.timeout`) and,
    /// given a context, closes the channel.
    private func fail(_ error: RedisError, context: ChannelHandlerContext? = nil) {
        if failure == nil { failure = error }
        timer?.cancel()
        timer = nil
        let now = NIODeadline.now()
        while let entry = pending.popFirst() {
            entry.promise.fail(error == .timeout && entry.deadline > now ? RedisError.connectionClosed : error)
        }
        context?.close(promise: nil)
    }

    private func armTimer(context: ChannelHandlerContext) {
        guard let head = pending.first else { return }
        schedule(at: head.deadline, context: context)
    }

    private func schedule(at due: NIODeadline, context: ChannelHandlerContext) {
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: due) {
            self.timer = nil
            self.timerFired(due: due, context: context)
        }
    }

    /// An expired deadline first gets one more pass of the event loop: when the loop was
    /// busy (a saturated proxy), the reply may already be waiting in the socket, and reading it
    /// is what tells a slow Redis from a late timer. Only a request still unanswered after that
    /// pass times out: `.timedOutWhileLoopLagged` when either timer ran `lagLimit` late.
    private func timerFired(due: NIODeadline, context: ChannelHandlerContext) {
        guard failure == nil, let head = pending.first else { return }
        let now = NIODeadline.now()
        guard head.deadline <= now else {
            armTimer(context: context)
            return
        }
        let lagged = now - due >= lagLimit
        if graceGiven == head.deadline {
            fail(laggedBeforeGrace || lagged ? .timedOutWhileLoopLagged : .timeout, context: context)
            return
        }
        graceGiven = head.deadline
        laggedBeforeGrace = lagged
        schedule(at: now + Self.gracePass, context: context)
    }
}
