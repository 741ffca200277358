import CatalogCacheCore
import NIOCore
import NIOEmbedded
import Testing

@testable import CatalogCacheProxy

/// Idle, slow-head (slowloris) and slow-body connections on `EmbeddedChannel`, with the
/// embedded loop's clock advanced by hand.
@Suite struct ConnectionDeadlineTests {
    static let timeouts = ConnectionTimeouts(idle: .seconds(60), header: .seconds(10), body: .seconds(30))

    func fixture() throws -> HandlerFixture {
        try HandlerFixture(timeouts: Self.timeouts)
    }

    func advance(_ f: HandlerFixture, seconds: Int64) {
        (f.channel.eventLoop as! EmbeddedEventLoop).advanceTime(by: .seconds(seconds))
    }

    @Test func anIdleConnectionIsClosedWithoutAResponseAfterTheIdleTimeout() throws {
        let f = try fixture()
        advance(f, seconds: 59)
        #expect(f.channel.isActive)
        advance(f, seconds: 1)
        #expect(!f.channel.isActive)
        #expect(try f.written().isEmpty)
        #expect(f.engine.metrics.connectionTimeouts.count("idle") == 1)
    }

    @Test func aHeadTrickledByteByByteGets408WhenTheHeaderTimeoutRunsOut() throws {
        let f = try fixture()
        advance(f, seconds: 30)  // idle time before the first byte does not count against the head
        try f.send("GET /store/hero-banners HTTP/1.1\r\n")
        for header in ["Host: s\r\n", "X-A: 1\r\n", "X-B: 2\r\n"] {
            advance(f, seconds: 3)  // each byte arriving must not reset the deadline
            try f.send(header)
        }
        #expect(f.channel.isActive)
        advance(f, seconds: 1)
        let rs = parseResponses(try f.written())
        #expect(rs.map(\.status) == [408])
        #expect(rs.first?.header("connection") == "close")
        let text = String(decoding: rs.first?.body ?? [], as: UTF8.self)
        #expect(text.hasPrefix("{\"error\":\"request_timeout\""))
        #expect(!f.channel.isActive)
        #expect(f.engine.metrics.connectionTimeouts.count("header") == 1)
        #expect(f.engine.metrics.requestCount(route: "-", outcome: .bypass) == 1)
    }

    @Test func aBodyThatStopsArrivingGets408AfterTheBodyTimeout() throws {
        let f = try fixture()
        try f.send("POST /admin/products HTTP/1.1\r\nHost: s\r\nContent-Length: 10\r\n\r\nabc")
        advance(f, seconds: 29)
        #expect(f.channel.isActive)
        advance(f, seconds: 1)
        let rs = parseResponses(try f.written())
        #expect(rs.map(\.status) == [408])
        #expect(!f.channel.isActive)
        #expect(f.engine.metrics.connectionTimeouts.count("body") == 1)
    }

    @Test func afterAResponseTheConnectionIsIdleNotHeldToTheHeaderDeadline() throws {
        let f = try fixture()
        _ = try f.storeBanners(Array("{\"hero_banners\":[]}".utf8))
        try f.send("GET /store/hero-banners HTTP/1.1\r\nHost: s\r\n\r\n")
        #expect(parseResponses(try f.written()).map(\.status) == [200])
        advance(f, seconds: 59)  // far past the header timeout: keep-alive idle is allowed
        #expect(f.channel.isActive)
        try f.send("GET /store/hero-banners HTTP/1.1\r\nHost: s\r\n\r\n")
        #expect(parseResponses(try f.written()).map(\.status) == [200])
        advance(f, seconds: 59)
        #expect(f.channel.isActive)
        advance(f, seconds: 1)
        #expect(!f.channel.isActive)
        #expect(f.engine.metrics.connectionTimeouts.count("idle") == 1)
        #expect(f.engine.metrics.connectionTimeouts.count("header") == 0)
    }
}
