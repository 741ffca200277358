import CatalogCacheProxy
import CatalogTestSupport
import Foundation
import Testing

/// Byte counters on the proxy port count what crossed the wire.
@Suite(.enabled(if: TestServices.enabled), .serialized)
struct OperatingMetricsTests {
    @Test func bytesInAndOutCountTheWire() async throws {
        try await withStack(triggers: false) { stack in
            let proxy = try await stack.startProxy(try stack.configuration(feed: false))
            let request = "GET /store/regions HTTP/1.1\r\nHost: t\r\n\r\n"
            let client = try RawHTTPClient(port: proxy.service.proxyPort)
            try await client.send(request)
            let miss = try await client.readResponse()
            #expect(miss.statusCode == 200)
            try await client.send(request)
            let hit = try await client.readResponse()
            #expect(hit.headers["x-cache"] == "HIT")
            #expect(await eventually { proxy.metrics.clientBytesReceived.count == 2 * request.utf8.count })
            // Both responses: at least their bodies and a status line each.
            #expect(proxy.metrics.clientBytesSent.count > 2 * hit.body.utf8.count + 2 * "HTTP/1.1 200 OK\r\n".utf8.count)
            #expect(proxy.metrics.upstreamBytesReceived.count == hit.body.utf8.count)
            let text = try await proxy.adminGet("/metrics").text
            #expect(text.contains("catalog_cache_client_bytes_sent_total \(proxy.metrics.clientBytesSent.count)\n"))
        }
    }
}
