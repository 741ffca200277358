import NIOCore
import NIOHTTP1

/// Per-connection handler: assembles requests, calls the responder, writes responses.
///
/// Invariants:
/// - Sits behind NIO's `HTTPServerPipelineHandler`, so at most one request per connection is
///   being answered at any time and responses leave in request order.
/// - A body longer than `maxBodySize` gets 413 and the connection is closed; a parse error
///   gets a 400 JSON error and the connection is closed.
/// - HEAD responses carry the `Content-Length` of the body they would have had, and no body.
final class HTTPServerHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        case idle
        case receiving(HTTPRequestHead, ByteBuffer?)
        case discarding
        case responding
    }

    private let responder: any HTTPResponder
    private let maxBodySize: Int
    private var state = State.idle

    init(responder: any HTTPResponder, maxBodySize: Int) {
        self.responder = responder
        self.maxBodySize = maxBodySize
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (unwrapInboundIn(data), state) {
        case (.head(let head), _):
            // NIO's decoder stops parsing after an upgrade request (or CONNECT) and would keep
            // what follows; neither is served here, so the connection is answered and closed.
            if head.method == .CONNECT || head.headers.contains(name: "upgrade") {
                state = .discarding
                let response = HTTPServerResponse.error(.badRequest, code: "upgrade_refused", message: "protocol upgrades and CONNECT are not served")
                write(context: context, response: response, version: head.version, isHead: false, keepAlive: false)
                return
            }
            state = .receiving(head, nil)
        case (.body(var chunk), .receiving(let head, var body)):
            if (body?.readableBytes ?? 0) + chunk.readableBytes > maxBodySize {
                state = .discarding
                let response = HTTPServerResponse.error(
                    .payloadTooLarge, code: "payload_too_large",
                    message: "request body exceeds \(maxBodySize) bytes")
                write(context: context, response: response, version: head.version, isHead: false, keepAlive: false)
                return
            }
            if body == nil {
                body = chunk
            } else {
                body!.writeBuffer(&chunk)
            }
            state = .receiving(head, body)
        case (.end, .receiving(let head, let body)):
            state = .responding
            dispatch(context: context, head: head, body: body)
        case (.body, _), (.end, _):
            break  // discarding an oversized body
        }
    }

    private func dispatch(context: ChannelHandlerContext, head: HTTPRequestHead, body: ByteBuffer?) {
        let request = HTTPServerRequest(method: head.method, uri: head.uri, headers: head.headers, body: body)
        let responder = self.responder
        let promise = context.eventLoop.makePromise(of: HTTPServerResponse.self)
        promise.completeWithTask { await responder.respond(to: request) }
        promise.futureResult.assumeIsolated().whenSuccess { response in
            self.state = .idle
            self.write(
                context: context, response: response, version: head.version,
                isHead: head.method == .HEAD, keepAlive: head.isKeepAlive)
        }
    }

    private func write(
        context: ChannelHandlerContext, response: HTTPServerResponse,
        version: HTTPVersion, isHead: Bool, keepAlive: Bool
    ) {
        guard context.channel.isActive else { return }
        var headers = response.headers
        headers.remove(name: "Transfer-Encoding")
        headers.replaceOrAdd(name: "Content-Length", value: String(response.body?.readableBytes ?? 0))
        headers.remove(name: "Connection")
        if !keepAlive {
            headers.add(name: "Connection", value: "close")
        } else if version.major == 1 && version.minor == 0 {
            headers.add(name: "Connection", value: "keep-alive")
        }
        let head = HTTPResponseHead(version: version, status: response.status, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if !isHead, let body = response.body, body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        if keepAlive {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            let done = context.eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: done)
            done.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if error is HTTPParserError {
            if case .responding = state {
                context.close(promise: nil)
                return
            }
            state = .discarding
            let response = HTTPServerResponse.error(.badRequest, code: "bad_request", message: "malformed HTTP request")
            write(context: context, response: response, version: .http1_1, isHead: false, keepAlive: false)
        } else {
            context.close(promise: nil)
        }
    }
}
