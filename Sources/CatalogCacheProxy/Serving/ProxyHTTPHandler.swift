import CatalogCacheCore
import NIOCore
import NIOHTTP1

/// One client connection on the proxy port.
///
/// Sits behind NIO's `HTTPServerPipelineHandler`, which hands it one request at a time and
/// holds pipelined requests back until the previous response is written, so answers go out
/// in request order. Invariants: a request body larger than the limit is refused with 413
/// and the connection closed (the rest of the body is never read into memory); a protocol
/// error gets a JSON 400 (431 for oversized headers) and closes the connection, so no
/// request can be smuggled behind a malformed one. When given a `ConnectionDeadlineHandler`
/// (the first handler of the same pipeline), it reports each request's phases to it so
/// idle, slow-head and slow-body connections are closed.
final class ProxyHTTPHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = Never
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        case idle
        case receiving(HTTPRequestHead, ByteBuffer?)
        /// The request was refused while its body was still arriving; discard until `.end`.
        case discarding
        case processing
        case closing
    }

    private let engine: CacheEngine
    private let maxBodyBytes: Int
    private var state = State.idle
    private var clientAddress: String?
    private let deadlines: ConnectionDeadlineHandler?
    /// This event loop's router (shared by the loop's connections).
    private let router: RequestRouter
    /// The head of the request whose response the engine will deliver to `receive`.
    private var inFlight: HTTPRequestHead?
    private var context: ChannelHandlerContext?

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
    }

    func channelActive(context: ChannelHandlerContext) {
        clientAddress = context.channel.remoteAddress?.ipAddress
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (unwrapInboundIn(data), state) {
        case (.head(let head), .idle):
            deadlines?.headReceived()
            if let length = head.headers.first(name: "content-length").flatMap(Int.init), length > maxBodyBytes {
                refuseTooLarge(context: context, head: head)
                return
            }
            if head.headers.first(name: "expect")?.lowercased() == "100-continue" {
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
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
            state = .processing
            deadlines?.requestEnded()
            let request = ProxyRequest(head: head, body: body, clientAddress: clientAddress)
            inFlight = head
            if let response = engine.answer(request, router: router, on: context.eventLoop, sink: self) {
                inFlight = nil
                write(response, for: head, context: context)
            }
        case (.end, .discarding):
            state = .closing
        case (_, .discarding), (_, .closing):
            break
        default:
            // A part out of order cannot come from NIO's decoder; treat it as a protocol error.
            writeProtocolError(context: context, status: .badRequest, code: "bad_request", message: "unexpected message part")
        }
    }

    private func refuseTooLarge(context: ChannelHandlerContext, head: HTTPRequestHead) {
        engine.metrics.clientErrors.increment("body_too_large")
        state = .discarding
        deadlines?.requestEnded()
        let response = ProxyResponse.error(.payloadTooLarge, code: "body_too_large", message: "request body exceeds \(maxBodyBytes) bytes", version: head.version, close: true)
        writeParts(response, context: context, close: true)
    }

    private func write(_ response: ProxyResponse, for request: HTTPRequestHead, context: ChannelHandlerContext) {
        guard case .processing = state else { return }
        var response = response
        let keepAlive = request.isKeepAlive && !response.closeConnection
        if !keepAlive {
            response.head.headers.replaceOrAdd(name: "Connection", value: "close")
        } else if request.version.major == 1 && request.version.minor == 0 {
            response.head.headers.replaceOrAdd(name: "Connection", value: "keep-alive")
        }
        state = keepAlive ? .idle : .closing
        writeParts(response, context: context, close: !keepAlive)
    }

    private func writeParts(_ response: ProxyResponse, context: ChannelHandlerContext, close: Bool) {
        context.write(wrapOutboundOut(.head(response.head)), promise: nil)
        if let body = response.body, body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        let done = context.eventLoop.makePromise(of: Void.self)
        deadlines?.responseEnding()
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: done)
        if close {
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            done.futureResult.whenComplete { _ in loopBound.value.close(promise: nil) }
        }
    }

    private func writeProtocolError(context: ChannelHandlerContext, status: HTTPResponseStatus, code: String, message: String) {
        engine.metrics.clientErrors.increment(code)
        engine.metrics.recordRequest(routeIndex: nil, outcome: .bypass, status: status.code, startedNanoseconds: MonotonicClock.nanoseconds(), key: "")
        state = .closing
        writeParts(.error(status, code: code, message: message, close: true), context: context, close: true)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A connection already closed (e.g. by a deadline) gets no answer: the decoder's
        // complaint about the partial request it held is not a request of its own.
        if let parserError = error as? HTTPParserError, context.channel.isActive {
            switch state {
            case .idle, .receiving:
                if parserError == .headerOverflow {
                    writeProtocolError(context: context, status: .requestHeaderFieldsTooLarge, code: "headers_too_large", message: "request headers are too large")
                } else {
                    writeProtocolError(context: context, status: .badRequest, code: "bad_request", message: "malformed HTTP request (\(parserError))")
                }
            default:
                context.close(promise: nil)
            }
            return
        }
        context.close(promise: nil)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        context.write(data, promise: promise)
    }
}

extension ProxyHTTPHandler: ProxyResponseSink {
    /// The engine's response to the request in flight (on this channel's loop). Dropped when
    /// the handler was removed meanwhile (the connection is gone).
    func receive(_ response: ProxyResponse) {
        guard let head = inFlight, let context else { return }
        inFlight = nil
        write(response, for: head, context: context)
    }
}
