import NIOCore
import NIOHTTP1

/// One request for the upstream: a head sent as given and an optional, fully buffered body.
///
/// The pool only adds `Host` when absent and `Content-Length` when the request has a body
/// (or is a POST/PUT/PATCH without one) and neither `Content-Length` nor `Transfer-Encoding`
/// is set. Everything else (hop-by-hop headers, `Connection`, URI) is the caller's.
public struct UpstreamRequest: Sendable {
    public var head: HTTPRequestHead
    public var body: ByteBuffer?

    public init(head: HTTPRequestHead, body: ByteBuffer? = nil) {
        self.head = head
        self.body = body
    }

    /// Convenience: an HTTP/1.1 request with the given method, URI and headers.
    public init(method: HTTPMethod = .GET, uri: String, headers: HTTPHeaders = [:], body: ByteBuffer? = nil) {
        self.init(head: HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: headers), body: body)
    }

    /// The head as it goes on the wire: `Host` defaulted to `hostHeader`, and `Content-Length`
    /// added when the body's framing is not given.
    func preparedHead(hostHeader: String) -> HTTPRequestHead {
        var head = self.head
        if !head.headers.contains(name: "host") {
            head.headers.add(name: "host", value: hostHeader)
        }
        let framed = head.headers.contains(name: "content-length") || head.headers.contains(name: "transfer-encoding")
        if !framed {
            if let body {
                head.headers.add(name: "content-length", value: String(body.readableBytes))
            } else if head.method == .POST || head.method == .PUT || head.method == .PATCH {
                // Without this the encoder would announce a chunked body for these methods.
                head.headers.add(name: "content-length", value: "0")
            }
        }
        return head
    }
}
