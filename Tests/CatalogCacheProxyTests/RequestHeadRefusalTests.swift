import NIOCore
import Testing

@testable import CatalogCacheProxy

/// Request heads the proxy refuses before routing (`RequestHeadScreen`), on the wire.
@Suite struct RequestHeadRefusalTests {
    private func answer(_ raw: String) throws -> (RawResponse?, HandlerFixture) {
        let f = try HandlerFixture()
        _ = try f.storeBanners(Array("{}".utf8))
        try? f.send(raw)
        return (parseResponses(try f.written()).first, f)
    }

    @Test(arguments: [
        ("GET /store/products HTTP/1.1\r\nHost: s\r\nX-Publishable-Api-Key: pk_a\r\nX-Publishable-Api-Key: pk_b\r\n\r\n", "repeated_vary_header"),
        ("GET /store/products HTTP/1.1\r\nHost: s\r\nConnection: x-publishable-api-key\r\nX-Publishable-Api-Key: pk_a\r\n\r\n", "connection_names_vary_header"),
        ("GET /store/hero-banners HTTP/1.1\r\n\r\n", "missing_host"),
        ("GET /store/hero-banners HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "repeated_host"),
        ("GET /store/hero-banners HTTP/1.1\r\nHost: s\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", "upgrade_refused"),
        ("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", "connect_refused"),
    ])
    func refusedWith400AndClosed(raw: String, code: String) throws {
        let (response, f) = try answer(raw)
        #expect(response?.status == 400)
        let text = String(decoding: response?.body ?? [], as: UTF8.self)
        #expect(text.hasPrefix("{\"error\":\"\(code)\""))
        #expect(!f.channel.isActive)
        #expect(f.engine.metrics.clientErrors.count(code) == 1)
    }

    @Test func bytesAfterARefusedUpgradeAreNotRead() throws {
        let f = try HandlerFixture()
        try? f.send("GET /store/hero-banners HTTP/1.1\r\nHost: s\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n" + String(repeating: "x", count: 100_000))
        let rs = parseResponses(try f.written())
        #expect(rs.map(\.status) == [400])
        #expect(!f.channel.isActive)
    }

    @Test func aFieldLineOver8KiBGets431() throws {
        let (response, f) = try answer("GET /store/hero-banners HTTP/1.1\r\nHost: s\r\nX-Big: \(String(repeating: "a", count: 9000))\r\n\r\n")
        #expect(response?.status == 431)
        #expect(!f.channel.isActive)
    }

    @Test func aHeadOver32KiBGets431() throws {
        let fields = (0..<5).map { "X-\($0): \(String(repeating: "a", count: 7000))\r\n" }.joined()
        let (response, f) = try answer("GET /store/hero-banners HTTP/1.1\r\nHost: s\r\n\(fields)\r\n")
        #expect(response?.status == 431)
        #expect(!f.channel.isActive)
    }

    @Test func aHeadWithinTheLimitsIsServed() throws {
        let fields = (0..<3).map { "X-\($0): \(String(repeating: "a", count: 7000))\r\n" }.joined()
        let (response, f) = try answer("GET /store/hero-banners HTTP/1.1\r\nHost: s\r\n\(fields)\r\n")
        #expect(response?.status == 200)
        #expect(f.channel.isActive)
    }
}
