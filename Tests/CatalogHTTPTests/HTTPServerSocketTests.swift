import CatalogTestSupport
import CatalogHTTP
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

/// Echoes the request; `?delay=ms` delays the answer, so pipelined requests finish out of order.
struct EchoResponder: HTTPResponder {
    func respond(to request: HTTPServerRequest) async -> HTTPServerResponse {
        if let q = request.query, q.hasPrefix("delay="), let ms = UInt64(q.dropFirst(6)) {
            try? await Task.sleep(nanoseconds: ms * 1_000_000)
        }
        let body = "{\"method\":\"\(request.method.rawValue)\",\"path\":\"\(request.path)\",\"body\":\(request.body?.readableBytes ?? 0)}"
        return .json(.ok, body)
    }
}

/// CatalogHTTP's server over a real loopback socket: framing, keep-alive, pipelining, limits.
@Suite("HTTP server over a real socket")
struct HTTPServerSocketTests {
    static func withServer(maxBodySize: Int = 1 << 20, limits: HTTPServerLimits = .unlimited, _ body: (Int) async throws -> Void) async throws {
        let server = try await HTTPServer.start(
            host: "127.0.0.1", port: 0, group: MultiThreadedEventLoopGroup.singleton,
            maxBodySize: maxBodySize, limits: limits, responder: EchoResponder())
        do {
            try await body(server.localPort)
        } catch {
            try await server.shutdown()
            throw error
        }
        try await server.shutdown()
    }

    @Test("keep-alive: several requests on one connection; HEAD sends headers only")
    func keepAliveAndHead() async throws {
        try await Self.withServer { port in
            let client = try RawHTTPClient(port: port)
            try await client.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
            let get = try await client.readResponse()
            #expect(get.statusCode == 200 && get.body.contains("\"path\":\"/a\""))
            try await client.send("HEAD /a HTTP/1.1\r\nHost: x\r\n\r\n")
            let head = try await client.readResponse(head: true)
            #expect(head.statusCode == 200)
            #expect(head.headers["content-length"] == String(get.body.utf8.count - 3 + 4))  // "GET" -> "HEAD"
            try await client.send("POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
            let post = try await client.readResponse()
            #expect(post.body.contains("\"body\":5"))  // proves HEAD left no stray body bytes
            try await client.send("GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(try await client.readResponse().headers["connection"] == "close")
            #expect(try await client.isClosedByPeer())
        }
    }

    @Test("pipelined requests, one with a body, are answered in request order")
    func pipelining() async throws {
        try await Self.withServer { port in
            let client = try RawHTTPClient(port: port)
            // The second carries a body: the third is read from where that body ends.
            try await client.send("GET /1?delay=200 HTTP/1.1\r\nHost: x\r\n\r\nPOST /2?delay=0 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /3?delay=50 HTTP/1.1\r\nHost: x\r\n\r\n")
            for i in 1...3 {
                let body = try await client.readResponse().body
                #expect(body.contains("\"path\":\"/\(i)\"") && body.contains("\"body\":\(i == 2 ? 3 : 0)"), "\(body)")
            }
        }
    }

    @Test("malformed request: 400 JSON error, then the connection closes")
    func malformed() async throws {
        try await Self.withServer { port in
            let client = try RawHTTPClient(port: port)
            try await client.send("GARBAGE\r\n\r\n")
            let r = try await client.readResponse()
            #expect(r.statusCode == 400)
            #expect(r.body.contains("\"error\":\"bad_request\""))
            #expect(try await client.isClosedByPeer())
        }
    }

    @Test("a body over maxBodySize, by Content-Length or chunked, gets 413 JSON and the connection closes", arguments: [
        "Content-Length: 20\r\n\r\n01234567890123456789",
        "Transfer-Encoding: chunked\r\n\r\n8\r\n01234567\r\n8\r\n89012345\r\n0\r\n\r\n",
    ])
    func tooLarge(framingAndBody: String) async throws {
        try await Self.withServer(maxBodySize: 10) { port in
            let client = try RawHTTPClient(port: port)
            try await client.send("POST /x HTTP/1.1\r\nHost: x\r\n" + framingAndBody)
            let r = try await client.readResponse()
            #expect(r.statusCode == 413 && r.body.contains("payload_too_large"))
            #expect(try await client.isClosedByPeer())
        }
    }

    @Test("shutdown closes idle keep-alive connections")
    func shutdownClosesConnections() async throws {
        let server = try await HTTPServer.start(
            host: "127.0.0.1", port: 0, group: MultiThreadedEventLoopGroup.singleton, responder: EchoResponder())
        let client = try RawHTTPClient(port: server.localPort)
        try await client.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try await client.readResponse().statusCode == 200)
        try await server.shutdown()
        #expect(try await client.isClosedByPeer())
    }

    @Test("a head over maxHeadBytes, or one field over maxHeaderFieldBytes, gets 400 and the connection closes")
    func headLimits() async throws {
        let limits = HTTPServerLimits(maxHeaderFieldBytes: 512, maxHeadBytes: 1024)
        try await Self.withServer(limits: limits) { port in
            let within = try RawHTTPClient(port: port)
            try await within.send("GET /ok HTTP/1.1\r\nHost: x\r\nX-A: \(String(repeating: "a", count: 400))\r\n\r\n")
            #expect(try await within.readResponse().statusCode == 200)

            let manyFields = (0..<6).map { "X-\($0): \(String(repeating: "b", count: 300))\r\n" }.joined()
            let longHead = try RawHTTPClient(port: port)
            try await longHead.send("GET /head HTTP/1.1\r\nHost: x\r\n\(manyFields)\r\n")
            #expect(try await longHead.readResponse().statusCode == 400)
            #expect(try await longHead.isClosedByPeer())

            let longField = try RawHTTPClient(port: port)
            try await longField.send("GET /field HTTP/1.1\r\nHost: x\r\nX-Long: \(String(repeating: "c", count: 600))\r\n\r\n")
            #expect(try await longField.readResponse().statusCode == 400)
            #expect(try await longField.isClosedByPeer())
        }
    }

    @Test("beyond maxConnections a new connection is closed at once; open ones keep working")
    func connectionLimit() async throws {
        try await Self.withServer(limits: HTTPServerLimits(maxConnections: 1)) { port in
            let first = try RawHTTPClient(port: port)
            try await first.send("GET /1 HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await first.readResponse().statusCode == 200)
            let second = try RawHTTPClient(port: port)
            #expect(try await second.isClosedByPeer())
            try await first.send("GET /2 HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try await first.readResponse().body.contains("\"path\":\"/2\""))
        }
    }
}
