/// A server-sent-events subscription on a `RawHTTPClient`: `GET path` with
/// `Accept: text/event-stream`, its response head (and the body of a non-stream answer, such
/// as a 401), then the events as they come.
public struct EventStream: Sendable {
    public let client: RawHTTPClient
    public let response: RawHTTPClient.Response

    public var status: Int { response.statusCode }
    public var headers: [String: String] { response.headers }
    public var body: String { response.body }

    /// Connects to `port` on loopback and subscribes; reads give up after 20 s.
    public static func open(port: Int, path: String = "/admin/events", headers: [(String, String)]) async throws -> EventStream {
        let client = try RawHTTPClient(port: port, readTimeoutSeconds: 20)
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        try await client.send(request + "\r\n")
        return EventStream(client: client, response: try await client.readResponse())
    }

    public func next() async throws -> RawHTTPClient.Event { try await client.readEvent() }

    public func waitUntilClosed() async throws -> Bool { try await client.waitUntilClosed() }
}
