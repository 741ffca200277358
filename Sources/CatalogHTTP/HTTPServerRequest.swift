import NIOCore
import NIOHTTP1

/// One complete HTTP request as the server hands it to an `HTTPResponder`.
///
/// Invariants: `uri == path + ("?" + query)` when a query is present; `path` and `query` are
/// the raw, still percent-encoded request-target parts; `body` is nil when the request had none
/// and never exceeds the server's `maxBodySize`.
public struct HTTPServerRequest: Sendable {
    public var method: HTTPMethod
    public var uri: String
    public var path: String
    public var query: String?
    public var headers: HTTPHeaders
    public var body: ByteBuffer?

    public init(method: HTTPMethod, uri: String, headers: HTTPHeaders = HTTPHeaders(), body: ByteBuffer? = nil) {
        self.method = method
        self.uri = uri
        if let q = uri.firstIndex(of: "?") {
            self.path = String(uri[..<q])
            self.query = String(uri[uri.index(after: q)...])
        } else {
            self.path = uri
            self.query = nil
        }
        self.headers = headers
        self.body = body
    }
}
