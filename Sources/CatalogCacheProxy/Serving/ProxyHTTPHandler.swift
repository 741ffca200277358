import CatalogCacheCore
import NIOCore
import NIOHTTP1

/// One client connection on the proxy port: `PlainRequestHandler` and NIO's request decoder
/// in front (plain GET/HEAD requests skip the decoder), and this handler does the rest of
/// HTTP/1.1 itself: one request at a time, pipelining, framing
/// and writing the responses (`ResponseSerializer`), protocol errors, graceful close.
///
/// Invariants:
/// - output is bounded: while the channel is not writable (more than its high water mark,
///   64 KiB, waits to be sent) no held request is answered and the socket is not read, so a
///   client that pipelines and never reads costs at most the water mark plus one response;
/// - at most `maxHeldRequests` parsed requests are held (plus those of one chunk on the
///   decoder's path): beyond that `PlainRequestHandler` keeps the rest of the read unparsed;
/// - responses go out in request order: requests (and parser errors) arriving while one is
///   being answered are held, in order, then delivered one by one; while any is held the
///   socket is not read (so a pipelining client cannot make it buffer more than one read
///   beyond the request being answered). A request being answered with nothing held does
///   not stop reading: the socket keeps its read interest, and a client that sends one
///   request at a time costs no epoll re-registration per request;
/// - a request body larger than the limit is refused with 413 and the connection closed
///   (the rest of the body is never read into memory);
/// - a protocol error gets a JSON 400 (431 for oversized headers) after the answers to the
///   requests before it, and closes the connection, so nothing can be smuggled behind it;
/// - after `ChannelShouldQuiesceEvent` (graceful shutdown) an idle connection closes at once
///   and a busy one after its response, which says `Connection: close`.
/// - a request is admitted (`RequestRouter.admitOrShed`) before it reaches the engine, or
///   shed (503, never looked up or forwarded); an admitted one is reported `finished` exactly
///   once, when its response reaches this handler (even after the connection closed).
/// When given a `ConnectionDeadlineHandler` (the first handler of the same pipeline), it
/// reports each request's phases to it so idle, slow-head and slow-body connections close.
final class ProxyHTTPHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = Never
    typealias OutboundOut = ByteBuffer

    private enum State {
        case idle
        case receiving(HTTPRequestHead, ByteBuffer?)
        /// The request was refused while its body was still arriving; discard until `.end`.
        case discarding
        /// The request is complete; its response will come from the engine.
        case processing(HTTPRequestHead)
        case closing
    }

    /// What arrives from the client: request parts, a whole plain request, a parse error.
    private enum Arrival {
        case part(HTTPServerRequestPart)
        /// A complete bodyless request read by `PlainRequestHandler`.
        case plainRequest(HTTPRequestHead)
        case parserError(HTTPParserError)
    }

    private let engine: CacheEngine
    private let maxBodyBytes: Int
    private var state = State.idle
    private var held = CircularBuffer<Arrival>(initialCapacity: 1)
    /// A `read` was asked for while requests were held.
    private var readHeld = false
    /// Delivering held events (re-entered when a held request is answered at once).
    private var delivering = false
    /// Graceful shutdown: the next response closes the connection.
    private var quiescing = false
    private var clientAddress: String?
    private let deadlines: ConnectionDeadlineHandler?
    /// This event loop's router (shared by the loop's connections).
    private let router: RequestRouter
    private var context: ChannelHandlerContext?
    /// `GET /admin/events` is streamed by these; nil when off. A streaming request stays
    /// `.processing` for the life of the connection (later requests are held, unread).
    var adminEvents: AdminEventStreams?
    /// The handler in front that parses plain requests; it stops parsing while this handler
    /// `holdsEnough` and is `resume()`d when held requests were answered.
    weak var input: PlainRequestHandler?
    /// The handler in front keeps bytes unparsed (set by it): `resume()` it once requests are
    /// answered. Read instead of `input` on every request (a weak load costs more).
    var inputHasPending = false
    /// The channel's writability, as its `channelWritabilityChanged` events tell it (the
    /// channel is writable when it becomes active).
    private var writable = true
    /// The request being processed was admitted by `router.admission` and not yet finished.
    private var admittedInProgress = false
    /// Requests held at most before the handler in front stops parsing (it keeps raw bytes).
    static let maxHeldRequests = 64

    /// Whether enough requests are held that no more should be parsed for now.
    var holdsEnough: Bool { held.count >= Self.maxHeldRequests }
    /// Requests (and parse errors) waiting for their turn.
    var heldCount: Int { held.count }

    init(engine: CacheEngine, maxBodyBytes: Int, deadlines: ConnectionDeadlineHandler? = nil, router: RequestRouter? = nil) {
        self.engine = engine
        self.maxBodyBytes = maxBodyBytes
        self.deadlines = deadlines
        self.router = router ?? RequestRouter(engine: engine)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        held.removeAll()
    }

    func channelActive(context: ChannelHandlerContext) {
        clientAddress = context.channel.remoteAddress?.ipAddress
        context.fireChannelActive()
    }

    private var isProcessing: Bool {
        if case .processing = state { return true }
        return false
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        arrived(.part(unwrapInboundIn(data)), context: context)
    }

    /// A complete bodyless request read by `PlainRequestHandler`.
    func receivePlainRequest(_ head: HTTPRequestHead) {
        guard let context else { return }
        arrived(.plainRequest(head), context: context)
    }

    /// Held while a request is being answered (or others are held, or the socket cannot take
    /// more output), else handled now.
    private func arrived(_ arrival: Arrival, context: ChannelHandlerContext) {
        if isProcessing || !held.isEmpty || !writable {
            held.append(arrival)
        } else {
            handle(arrival, context: context)
        }
    }

    private func handle(_ arrival: Arrival, context: ChannelHandlerContext) {
        switch arrival {
        case .part(let part):
            receive(part, context: context)
        case .plainRequest(let head):
            // What its head and end from the decoder would do, without looking for a body
            // length or `Expect` (a plain request has neither).
            guard case .idle = state else {
                receive(.head(head), context: context)
                receive(.end(nil), context: context)
                return
            }
            deadlines?.wholeRequestReceived()
            guard !refused(head, context: context) else { return }
            process(head, body: nil, context: context)
        case .parserError(let error):
            answer(error, context: context)
        }
    }

    private func receive(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch (part, state) {
        case (.head(let head), .idle):
            deadlines?.headReceived()
            guard !refused(head, context: context) else { return }
            if let length = head.headers.first(name: "content-length").flatMap(Int.init), length > maxBodyBytes {
                refuseTooLarge(context: context, head: head)
                return
            }
            // 100 Continue is HTTP/1.1's; an HTTP/1.0 client gets none (RFC 9110, 10.1.1).
            if (head.version.major, head.version.minor) >= (1, 1), head.headers.first(name: "expect")?.lowercased() == "100-continue" {
                let interim = ByteBuffer(staticString: "HTTP/1.1 100 Continue\r\n\r\n")
                engine.metrics.clientBytesSent.increment(by: interim.readableBytes)
                context.writeAndFlush(wrapOutboundOut(interim), promise: nil)
            }
            state = .receiving(head, nil)
        case (.body(var chunk), .receiving(let head, var body)):
            if (body?.readableBytes ?? 0) + chunk.readableBytes > maxBodyBytes {
                refuseTooLarge(context: context, head: head)
                return
            }
            if body == nil { body = chunk } else { body!.writeBuffer(&chunk) }
            state = .receiving(head, body)
        case (.end, .receiving(let head, let body)):
            deadlines?.requestEnded()
            process(head, body: body, context: context)
        case (.end, .discarding):
            state = .closing
        case (_, .discarding), (_, .closing):
            break
        default:
            // A part out of order cannot come from NIO's decoder; treat it as a protocol error.
            writeProtocolError(context: context, status: .badRequest, code: "bad_request", message: "unexpected message part")
        }
    }

    /// The request is complete (and `deadlines` told so): the engine answers it now or later
    /// (through `receive`).
    private func process(_ head: HTTPRequestHead, body: ByteBuffer?, context: ChannelHandlerContext) {
        state = .processing(head)
        let request = ProxyRequest(head: head, body: body, clientAddress: clientAddress)
        if let adminEvents, adminEvents.handles(request) {
            let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
            adminEvents.open(request, channel: context.channel) { handler.value.receive($0) }
            return
        }
        if let shed = router.admitOrShed(request) {
            finish(shed, context: context)
            return
        }
        admittedInProgress = true
        if let response = router.engine.answer(request, router: router, on: context.eventLoop, sink: self) {
            admissionFinished()
            finish(response, context: context)
        }
    }

    /// The admitted request's response arrived: its slot in the loop's `LoadShedder` is free.
    private func admissionFinished() {
        guard admittedInProgress else { return }
        admittedInProgress = false
        router.admission.finished()
    }

    /// Answers and closes when `RequestHeadScreen` refuses the head (400 or 431); true then.
    private func refused(_ head: HTTPRequestHead, context: ChannelHandlerContext) -> Bool {
        var scan = RequestHeadScreen.Scan(method: head.method.rawValue, target: head.uri, varyNames: router.varyNames, limits: engine.configuration.requestHeadLimits)
        var refusal: RequestHeadRefusal?
        for field in head.headers {
            refusal = scan.field(name: field.name, value: field.value)
            if refusal != nil { break }
        }
        guard let refusal = refusal ?? scan.finish(requiresHost: head.version.major == 1 && head.version.minor >= 1) else { return false }
        deadlines?.requestEnded()
        writeProtocolError(context: context, status: HTTPResponseStatus(statusCode: refusal.status), code: refusal.code, message: refusal.message)
        return true
    }

    private func refuseTooLarge(context: ChannelHandlerContext, head: HTTPRequestHead) {
        engine.metrics.clientErrors.increment("body_too_large")
        state = .discarding
        deadlines?.requestEnded()
        let response = ProxyResponse.error(.payloadTooLarge, code: "body_too_large", message: "request body exceeds \(maxBodyBytes) bytes", version: head.version, close: true)
        write(response, method: head.method, connection: .close, context: context)
    }

    /// Writes the response to the request being processed, then delivers what was held.
    private func finish(_ response: ProxyResponse, context: ChannelHandlerContext) {
        guard case .processing(let request) = state else { return }
        let keepAlive = request.isKeepAlive && !response.closeConnection && !quiescing
        state = keepAlive ? .idle : .closing
        deadlines?.responseEnding()
        let connection: ResponseSerializer.ConnectionHeader
        if !keepAlive {
            connection = .close
        } else {
            connection = request.version.major == 1 && request.version.minor == 0 ? .keepAlive : .none
        }
        write(response, method: request.method, connection: connection, context: context)
        if keepAlive { deliverHeld(context: context) }
    }

    /// Delivers held events in order until one request is being answered again (or none is
    /// left); then lets the socket be read again if a read was held.
    private func deliverHeld(context: ChannelHandlerContext) {
        guard !delivering else { return }
        delivering = true
        defer { delivering = false }
        while !held.isEmpty {
            switch state {
            case .idle, .receiving, .discarding: break
            case .processing, .closing: return
            }
            // A client that does not read its answers gets no more until it does
            // (`channelWritabilityChanged` resumes).
            guard writable else { return }
            handle(held.removeFirst(), context: context)
        }
        // Bytes kept unparsed while too many requests were held come before any new read.
        if inputHasPending, held.isEmpty, case .idle = state, writable {
            inputHasPending = false
            input?.resume()
            guard held.isEmpty, !isProcessing else { return }
        }
        if readHeld, writable {
            readHeld = false
            context.read()
        }
    }

    private func write(_ response: ProxyResponse, method: HTTPMethod, connection: ResponseSerializer.ConnectionHeader, context: ChannelHandlerContext) {
        let close = connection == .close
        guard let bytes = ResponseSerializer.serialize(response, method: method, connection: connection, allocator: context.channel.allocator) else {
            // A header that cannot be sent (from the upstream): a 502 instead, and close.
            engine.metrics.upstreamErrors.increment("invalid_header")
            let refused = ProxyResponse.error(.badGateway, code: "invalid_upstream_header", message: "the upstream response has a header that cannot be forwarded", version: response.head.version, close: true)
            state = .closing
            write(refused, method: method, connection: .close, context: context)
            return
        }
        engine.metrics.clientBytesSent.increment(by: bytes.head.readableBytes + (bytes.body?.readableBytes ?? 0))
        if let body = bytes.body {
            context.write(wrapOutboundOut(bytes.head), promise: nil)
            flush(body, close: close, context: context)
        } else {
            flush(bytes.head, close: close, context: context)
        }
    }

    private func flush(_ last: ByteBuffer, close: Bool, context: ChannelHandlerContext) {
        guard close else {
            context.writeAndFlush(wrapOutboundOut(last), promise: nil)
            return
        }
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(last)).whenComplete { _ in loopBound.value.close(promise: nil) }
    }

    private func writeProtocolError(context: ChannelHandlerContext, status: HTTPResponseStatus, code: String, message: String) {
        engine.metrics.clientErrors.increment(code)
        engine.metrics.recordRequest(routeIndex: nil, outcome: .bypass, status: status.code, startedNanoseconds: MonotonicClock.nanoseconds(), key: "")
        state = .closing
        write(.error(status, code: code, message: message, close: true), method: .GET, connection: .close, context: context)
    }

    /// A parse error while no request is being answered (`arrived` holds it otherwise).
    private func answer(_ parserError: HTTPParserError, context: ChannelHandlerContext) {
        switch state {
        case .idle, .receiving:
            if parserError == .headerOverflow {
                writeProtocolError(context: context, status: .requestHeaderFieldsTooLarge, code: "headers_too_large", message: "request headers are too large")
            } else {
                writeProtocolError(context: context, status: .badRequest, code: "bad_request", message: "malformed HTTP request (\(parserError))")
            }
        case .discarding, .closing, .processing:
            // Already answered and closing (a request being answered never gets here).
            break
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A connection already closed (e.g. by a deadline) gets no answer: the decoder's
        // complaint about the partial request it held is not a request of its own.
        if error is ByteToMessageDecoderError.PayloadTooLargeError, context.channel.isActive {
            arrived(.parserError(.headerOverflow), context: context)
            return
        }
        guard let parserError = error as? HTTPParserError, context.channel.isActive else {
            context.close(promise: nil)
            return
        }
        arrived(.parserError(parserError), context: context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        quiescing = true
        if case .idle = state {
            state = .closing
            context.close(promise: nil)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        writable = context.channel.isWritable
        if writable { deliverHeld(context: context) }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if case .closing = state { return }
        if !held.isEmpty || !writable {
            readHeld = true
        } else {
            context.read()
        }
    }
}

extension ProxyHTTPHandler: ProxyResponseSink {
    /// The engine's response to the request being processed (on this channel's loop).
    /// Dropped when the handler was removed meanwhile (the connection is gone).
    func receive(_ response: ProxyResponse) {
        admissionFinished()
        guard let context else { return }
        finish(response, context: context)
    }
}
