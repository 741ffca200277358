import NIOCore

/// Limits of an `HTTPServer`'s connections. The defaults (`.unlimited`) keep the server as it
/// was for the reference origin; the proxy's admin port sets all of them.
public struct HTTPServerLimits: Sendable, Equatable {
    /// Open connections beyond which new ones are closed at once; nil: no bound.
    public var maxConnections: Int?
    /// A connection with no request in progress is closed after this long; nil: never.
    public var idleTimeout: TimeAmount?
    /// Time from a request's first byte to its complete answer being started; nil: none.
    public var requestTimeout: TimeAmount?
    /// One header field (name and value) and the whole head, in bytes (NIO's decoder limits;
    /// beyond them the request gets 400 and the connection closes).
    public var maxHeaderFieldBytes: Int
    public var maxHeadBytes: Int

    public static let unlimited = HTTPServerLimits()

    public init(maxConnections: Int? = nil, idleTimeout: TimeAmount? = nil, requestTimeout: TimeAmount? = nil, maxHeaderFieldBytes: Int = 80 * 1024, maxHeadBytes: Int = 80 * 1024) {
        self.maxConnections = maxConnections
        self.idleTimeout = idleTimeout
        self.requestTimeout = requestTimeout
        self.maxHeaderFieldBytes = maxHeaderFieldBytes
        self.maxHeadBytes = maxHeadBytes
    }

    /// Bytes the request decoder may hold unparsed: a whole head and one more read. After a
    /// request it stops parsing at (an upgrade, refused anyway) nothing more accumulates.
    var maxDecoderBufferBytes: Int { maxHeadBytes + 64 * 1024 }
}

/// First handler of a limited server connection: closes it when idle longer than
/// `idleTimeout`, or when a request's first byte was seen more than `requestTimeout` ago and
/// its answer has not started (a slowloris, or a client sending a body forever).
///
/// Phases: `idle` from the connection's start and from each response written; `request` from
/// the first byte read while idle. One timer is pending while open, for the current phase's
/// deadline; it is replaced on each phase change (the admin port's traffic is light).
final class HTTPServerDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum Phase { case idle, request }

    private let idleTimeout: TimeAmount?
    private let requestTimeout: TimeAmount?
    private var phase = Phase.idle
    private var timer: Scheduled<Void>?

    init(idleTimeout: TimeAmount?, requestTimeout: TimeAmount?) {
        self.idleTimeout = idleTimeout
        self.requestTimeout = requestTimeout
    }

    func channelActive(context: ChannelHandlerContext) {
        enter(.idle, context: context)
        context.fireChannelActive()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { enter(.idle, context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if phase == .idle { enter(.request, context: context) }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if phase == .request { enter(.idle, context: context) }
        context.write(data, promise: promise)
    }

    private func enter(_ next: Phase, context: ChannelHandlerContext) {
        phase = next
        timer?.cancel()
        timer = nil
        guard let timeout = next == .idle ? idleTimeout : requestTimeout else { return }
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
            loopBound.value.close(promise: nil)
        }
    }
}
