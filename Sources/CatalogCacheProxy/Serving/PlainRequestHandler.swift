import CatalogCacheCore
import NIOCore
import NIOHTTP1

/// Sits in front of NIO's HTTP request decoder on a proxy connection and hands the plainest
/// requests (`SimpleRequestHead`: complete `GET`/`HEAD` heads without a body or anything
/// unusual) straight to the `ProxyHTTPHandler`, skipping the general decoder.
///
/// Invariant: bytes go to exactly one parser, in order. The first byte that is not the start
/// of a complete plain head (a declined request, or one split across reads) and every byte
/// after it, for the rest of the connection, go to the decoder; so the decoder never sees a
/// request's middle, and no request is read by both. Nothing is read after a request that
/// does not keep the connection alive. While the proxy holds `maxHeldRequests` requests,
/// further bytes are kept unparsed (`pending`), so a pipelining client costs its raw bytes,
/// not parsed heads.
final class PlainRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let proxy: ProxyHTTPHandler
    /// Still reading plain requests itself (false: the decoder has the connection).
    private(set) var plain = true
    /// A request that does not keep the connection alive was read: whatever follows it is
    /// dropped (its answer closes the connection; NIO's decoder refuses such bytes too).
    private var ended = false
    /// Bytes not yet parsed because the proxy holds `ProxyHTTPHandler.maxHeldRequests`
    /// requests already: kept raw (a parsed head costs several times its bytes) until
    /// `resume()`. The socket is not read meanwhile (the proxy holds its reads).
    private var pending: ByteBuffer?
    private var context: ChannelHandlerContext?

    init(proxy: ProxyHTTPHandler) {
        self.proxy = proxy
        proxy.input = self
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        pending = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        if pending != nil {
            pending!.writeBuffer(&buffer)
            return
        }
        consume(buffer, context: context)
    }

    /// Parses (or passes on) the bytes kept while the proxy held too many requests; call on
    /// the channel's loop. Does nothing when none are kept.
    func resume() {
        guard let context, let kept = pending else { return }
        pending = nil
        consume(kept, context: context)
    }

    /// Keeps `bytes` unparsed until `resume()`, and tells the proxy there are some.
    private func keep(_ bytes: ByteBuffer) {
        pending = bytes
        proxy.inputHasPending = true
    }

    private func consume(_ bytes: ByteBuffer, context: ChannelHandlerContext) {
        guard !ended else { return }
        var buffer = bytes
        guard !proxy.holdsEnough else {
            keep(buffer)
            return
        }
        guard plain else {
            context.fireChannelRead(wrapInboundOut(buffer))
            return
        }
        while buffer.readableBytes > 0 && !ended {
            guard !proxy.holdsEnough else {
                keep(buffer)
                return
            }
            guard case .head(let head) = buffer.withUnsafeReadableBytes({ SimpleRequestHead.parse($0) }) else {
                plain = false
                break
            }
            buffer.moveReaderIndex(forwardBy: head.length)
            var headers = HTTPHeaders()
            headers.reserveCapacity(head.fields.count)
            for field in head.fields { headers.add(name: field.name, value: field.value) }
            let request = HTTPRequestHead(version: head.minorVersion == 1 ? .http1_1 : .http1_0, method: head.isHead ? .HEAD : .GET, uri: head.target, headers: headers)
            ended = !request.isKeepAlive
            proxy.receivePlainRequest(request)
        }
        if buffer.readableBytes > 0 && !ended {
            context.fireChannelRead(wrapInboundOut(buffer))
        }
    }
}
