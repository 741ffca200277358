import CatalogCacheCore
import CatalogHTTP
import NIOCore
import NIOHTTP1

/// A complete request received on the proxy port (body collected, bounded by the limits).
public struct ProxyRequest: Sendable {
    public var head: HTTPRequestHead
    public var body: ByteBuffer?
    /// The peer's IP address, appended to X-Forwarded-For.
    public var clientAddress: String?

    public init(head: HTTPRequestHead, body: ByteBuffer? = nil, clientAddress: String? = nil) {
        self.head = head
        self.body = body
        self.clientAddress = clientAddress
    }

    /// The request target split into path and query; absolute-form targets
    /// (`http://host/path?q`) are reduced to their path and query.
    public var target: (path: Substring, query: Substring?) {
        var uri = Substring(head.uri)
        // Origin-form (the usual case) starts with "/": no search at all on the hot path.
        if uri.utf8.first != UInt8(ascii: "/"), let colon = uri.firstIndex(of: ":"),
           uri[..<colon].allSatisfy({ $0.isLetter }), uri[colon...].hasPrefix("://") {
            let afterAuthority = uri[uri.index(colon, offsetBy: 3)...]
            uri = afterAuthority.firstIndex(where: { $0 == "/" || $0 == "?" }).map { afterAuthority[$0...] } ?? "/"
            if uri.first == "?" { uri = "/" + uri }
        }
        if let q = uri.firstIndex(of: "?") {
            return (uri[..<q], uri[uri.index(after: q)...])
        }
        return (uri, nil)
    }
}

/// A response ready to be written: head plus an optional body (none for HEAD and 304).
/// Where the response to a request goes when the engine cannot answer it at once.
///
/// `receive` is called exactly once per request handed to `CacheEngine.answer` that did not
/// return a response, on the request's event loop. A connection handler is its own sink, so
/// a request that is not answered at once costs no promise, future or callback closure.
protocol ProxyResponseSink: AnyObject {
    func receive(_ response: ProxyResponse)
}

/// A sink that completes a promise (for callers that want a future).
final class PromiseResponseSink: ProxyResponseSink, Sendable {
    let promise: EventLoopPromise<ProxyResponse>

    init(_ promise: EventLoopPromise<ProxyResponse>) {
        self.promise = promise
    }

    func receive(_ response: ProxyResponse) {
        promise.succeed(response)
    }
}

public struct ProxyResponse: Sendable {
    public var head: HTTPResponseHead
    public var body: ByteBuffer?
    public var outcome: CacheOutcome
    /// The connection must close after this response (protocol errors).
    public var closeConnection = false
    /// A response from an entry as one header block (`EntryHeaderBlock`: the tier's
    /// `PreparedHitHeaders`, or made for this response) and its `Age`. When set,
    /// `head.headers` is empty and these lines are all the fields.
    var preparedHeaders: (block: ByteBuffer, age: Int)?

    public init(head: HTTPResponseHead, body: ByteBuffer?, outcome: CacheOutcome, closeConnection: Bool = false) {
        self.head = head
        self.body = body
        self.outcome = outcome
        self.closeConnection = closeConnection
    }

    /// An error produced by the proxy itself: `{"error": code, "message": message}`.
    public static func error(_ status: HTTPResponseStatus, code: String, message: String, outcome: CacheOutcome = .bypass, version: HTTPVersion = .http1_1, close: Bool = false) -> ProxyResponse {
        var body = ByteBuffer()
        body.writeString("{\"error\":\(HTTPServerJSON.quote(code)),\"message\":\(HTTPServerJSON.quote(message))}")
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        headers.add(name: "Cache-Control", value: "no-store")
        if close { headers.add(name: "Connection", value: "close") }
        return ProxyResponse(head: HTTPResponseHead(version: version, status: status, headers: headers), body: body, outcome: outcome, closeConnection: close)
    }
}
