import NIOCore
import NIOHTTP1

/// A complete HTTP response produced by an `HTTPResponder`.
///
/// Invariant: the server sets `Content-Length` from `body` (0 when nil) and omits the body for
/// HEAD requests, so responders never set `Content-Length` or `Transfer-Encoding` themselves.
public struct HTTPServerResponse: Sendable {
    public var status: HTTPResponseStatus
    public var headers: HTTPHeaders
    public var body: ByteBuffer?

    public init(status: HTTPResponseStatus, headers: HTTPHeaders = HTTPHeaders(), body: ByteBuffer? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON response (`Content-Type: application/json; charset=utf-8`) from already-encoded bytes.
    public static func json(_ status: HTTPResponseStatus, _ body: ByteBuffer, headers: HTTPHeaders = HTTPHeaders()) -> HTTPServerResponse {
        var h = headers
        h.replaceOrAdd(name: "Content-Type", value: "application/json; charset=utf-8")
        return HTTPServerResponse(status: status, headers: h, body: body)
    }

    /// A JSON response from an already-encoded JSON string.
    public static func json(_ status: HTTPResponseStatus, _ body: String, headers: HTTPHeaders = HTTPHeaders()) -> HTTPServerResponse {
        json(status, ByteBuffer(string: body), headers: headers)
    }

    /// The uniform error shape `{"error":"<code>","message":"..."}`.
    public static func error(_ status: HTTPResponseStatus, code: String, message: String) -> HTTPServerResponse {
        json(status, "{\"error\":\(HTTPServerJSON.quote(code)),\"message\":\(HTTPServerJSON.quote(message))}")
    }
}
