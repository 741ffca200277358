import NIOCore
import NIOEmbedded
import Testing

@testable import CatalogCacheProxy

/// What `PlainRequestHandler` passes on to NIO's decoder: nothing of the plain requests it
/// read, every byte from the first one it declines on (for the rest of the connection), and
/// nothing after a request that closes the connection.
@Suite struct PlainRequestHandlerTests {
    /// The bytes forwarded (no decoder behind it here: they stay in the channel).
    static func forwarded(_ reads: [String]) throws -> String {
        let f = try HandlerFixture()
        let plain = PlainRequestHandler(proxy: ProxyHTTPHandler(engine: f.engine, maxBodyBytes: 1024))
        let channel = EmbeddedChannel(handler: plain)
        var out = ""
        for read in reads {
            try channel.writeInbound(ByteBuffer(string: read))
            while let buffer = try channel.readInbound(as: ByteBuffer.self) { out += String(buffer: buffer) }
        }
        _ = try channel.finish()
        return out
    }

    static let get = "GET /store/hero-banners HTTP/1.1\r\nHost: s\r\n\r\n"
    static let post = "POST /admin/x HTTP/1.1\r\nHost: s\r\nContent-Length: 2\r\n\r\nab"

    @Test func plainRequestsStayAndTheRestGoesOnFromTheFirstDeclinedByte() throws {
        #expect(try Self.forwarded([Self.get + Self.get]) == "")
        #expect(try Self.forwarded([Self.get + Self.post + Self.get, Self.get]) == Self.post + Self.get + Self.get)
    }

    @Test func aRequestSplitAcrossReadsHandsTheConnectionToTheDecoder() throws {
        #expect(try Self.forwarded([Self.get + "GET /store/hero", "-banners HTTP/1.1\r\n\r\n", Self.get]) == "GET /store/hero" + "-banners HTTP/1.1\r\n\r\n" + Self.get)
    }

    @Test func nothingGoesOnAfterARequestThatClosesTheConnection() throws {
        let closing = "GET / HTTP/1.1\r\nConnection: close\r\n\r\n"
        #expect(try Self.forwarded([closing + Self.post, Self.get]) == "")
        #expect(try Self.forwarded(["GET / HTTP/1.0\r\n\r\n" + Self.get]) == "")
    }
}
