import NIOCore
import NIOHTTP1

/// A complete upstream response: the final (non-1xx) head and the whole body, buffered.
///
/// Invariant: `body.readableBytes <= maxResponseBodySize` of the pool's configuration; for
/// HEAD requests and 204/304 responses the body is empty.
public struct UpstreamResponse: Sendable {
    public var head: HTTPResponseHead
    public var body: ByteBuffer

    public init(head: HTTPResponseHead, body: ByteBuffer) {
        self.head = head
        self.body = body
    }
}

extension UpstreamResponse: Equatable {
    public static func == (lhs: UpstreamResponse, rhs: UpstreamResponse) -> Bool {
        lhs.head == rhs.head && lhs.body == rhs.body
    }
}
