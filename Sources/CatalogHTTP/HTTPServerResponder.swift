/// The application side of `HTTPServer`: turns one request into one response.
///
/// Invariant: called once per request, possibly concurrently for requests on different
/// connections; responses on one connection are written in request order by the server.
public protocol HTTPResponder: Sendable {
    func respond(to request: HTTPServerRequest) async -> HTTPServerResponse
}
