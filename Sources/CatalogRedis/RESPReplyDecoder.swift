import NIOCore

/// Inbound handler: socket bytes in, one ``RESPValue`` per complete reply out.
///
/// Invariants:
/// - Bytes are fed to hiredis as they arrive; replies are emitted in wire order.
/// - Bulk bytes are copied into buffers from the channel's allocator.
/// - On a protocol error the handler fires ``RedisError/protocolError(_:)`` through
///   `errorCaught`, closes the channel and ignores any further input.
final class RESPReplyDecoder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = RESPValue

    private let reader = HiredisReader()
    private var failed = false

    init() {}

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        let bytes = unwrapInboundIn(data)
        if let error = bytes.withUnsafeReadableBytes({ reader.feed($0) }) {
            fail(context: context, error)
            return
        }
        let allocator = context.channel.allocator
        while true {
            switch reader.next(allocator: allocator) {
            case .success(let value?):
                context.fireChannelRead(wrapInboundOut(value))
                if failed { return }
            case .success(nil):
                return
            case .failure(let error):
                fail(context: context, error)
                return
            }
        }
    }

    private func fail(context: ChannelHandlerContext, _ error: RedisError) {
        failed = true
        context.fireErrorCaught(error)
        context.close(promise: nil)
    }
}
