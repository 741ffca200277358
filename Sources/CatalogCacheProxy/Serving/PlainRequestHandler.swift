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
/// does not keep the connection alive.
final class PlainRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let proxy: ProxyHTTPHandler
    /// Still reading plain requests itself (false: the decoder has the connection).
    private(set) var plain = true
    /// A request that does not keep the connection alive was read: whatever follows it is
    /// dropped (its answer closes the connection; NIO's decoder refuses such bytes too).
    private var ended = false

    init(proxy: ProxyHTTPHandler) {
        self.proxy = proxy
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !ended else { return }
        guard plain else {
            context.fireChannelRead(data)
            return
        }
        var buffer = unwrapInboundIn(data)
        while buffer.readableBytes > 0 && !ended {
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
