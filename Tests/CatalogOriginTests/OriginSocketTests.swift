import CatalogOrigin
import CatalogTestSupport
import Foundation
import NIOPosix
import Testing

/// The reference origin served over a real socket by CatalogHTTP's server.
@Suite("The origin over a socket")
struct OriginSocketTests {
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
