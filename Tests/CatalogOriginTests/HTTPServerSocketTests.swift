import CatalogTestSupport
import CatalogHTTP
import CatalogOrigin
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

@Suite("HTTP server over a real socket")
struct HTTPServerSocketTests {
    static func withServer(maxBodySize: Int = 1 << 20, _ body: (Int) async throws -> Void) async throws {
        let server = try await HTTPServer.start(
            host: "127.0.0.1", port: 0, group: MultiThreadedEventLoopGroup.singleton,
            maxBodySize: maxBodySize, responder: EchoResponder())
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

    @Test("pipelined requests are answered in request order")
    func pipelining() async throws {
        try await Self.withServer { port in
            let client = try RawHTTPClient(port: port)
            try await client.send("GET /1?delay=200 HTTP/1.1\r\nHost: x\r\n\r\nGET /2?delay=0 HTTP/1.1\r\nHost: x\r\n\r\nGET /3?delay=50 HTTP/1.1\r\nHost: x\r\n\r\n")
            for i in 1...3 {
                #expect(try await client.readResponse().body.contains("\"path\":\"/\(i)\""))
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

    @Test("a body over maxBodySize gets 413 JSON and the connection closes")
    func tooLarge() async throws {
        try await Self.withServer(maxBodySize: 10) { port in
            let client = try RawHTTPClient(port: port)
            try await client.send("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\n01234567890123456789")
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

    @Test("the origin over a socket: product list, then HEAD on the same connection",
          .enabled(if: TestDatabase.enabled))
    func origin() async throws {
        try await TestDatabase.with(seed: 50) { env in
            let service = try await OriginService.start(
                databaseURL: env.url, host: "127.0.0.1", port: 0, poolSize: 2, group: MultiThreadedEventLoopGroup.singleton)
            do {
                let client = try RawHTTPClient(port: service.localPort)
                try await client.send("GET /store/products?limit=2&order=-price HTTP/1.1\r\nHost: x\r\n\r\n")
                let get = try await client.readResponse()
                #expect(get.statusCode == 200 && get.headers["content-type"]?.hasPrefix("application/json") == true)
                let json = try JSONSerialization.jsonObject(with: Data(get.body.utf8)) as? [String: Any]
                #expect((json?["products"] as? [Any])?.count == 2)
                try await client.send("HEAD /store/products?limit=2&order=-price HTTP/1.1\r\nHost: x\r\n\r\n")
                let head = try await client.readResponse(head: true)
                #expect(head.statusCode == 200 && head.headers["content-length"] == String(get.body.utf8.count))
                try await client.send("GET /store/products/prod_none HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(try await client.readResponse().statusCode == 404)
            } catch {
                try await service.shutdown()
                throw error
            }
            try await service.shutdown()
        }
    }
}
