import CatalogCacheCore
import CatalogTestSupport
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

/// The plain-request parser against NIO's decoder (llhttp) as the oracle: whatever the plain
/// parser accepts, the decoder must read as the same request (method, target, version, the
/// same fields in order) without a body, ending at the same byte (the request after it is
/// read whole by the decoder too). Requests are built from good and bad pieces and then
/// mutated byte by byte.
@Suite struct SimpleRequestHeadDifferentialTests {
    static let sentinel = "GET /sentinel HTTP/1.1\r\nHost: s\r\n\r\n"

    /// What NIO's decoder reads from `bytes`: the parts, or nil when it reports an error.
    static func decoded(_ bytes: [UInt8]) -> [HTTPServerRequestPart]? {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
        defer { _ = try? channel.finish() }
        do {
            try channel.writeInbound(ByteBuffer(bytes: bytes))
        } catch {
            return nil
        }
        var parts: [HTTPServerRequestPart] = []
        while let part = try? channel.readInbound(as: HTTPServerRequestPart.self) { parts.append(part) }
        return parts
    }

    /// Checks one input; answers whether the plain parser accepted it.
    @discardableResult
    static func check(_ request: [UInt8]) -> Bool {
        guard case .head(let alone) = request.withUnsafeBytes({ SimpleRequestHead.parse($0) }) else { return false }
        let text = String(decoding: request, as: UTF8.self).debugDescription
        // Another request behind it, when it keeps the connection alive (after one that does
        // not, NIO's decoder refuses any further byte and the proxy reads none).
        let keepAlive = HTTPRequestHead(version: alone.minorVersion == 1 ? .http1_1 : .http1_0, method: .GET, uri: "/", headers: HTTPHeaders(alone.fields.map { ($0.name, $0.value) })).isKeepAlive
        let input = keepAlive ? request + Array(sentinel.utf8) : request
        guard case .head(let head) = input.withUnsafeBytes({ SimpleRequestHead.parse($0) }), head == alone else {
            Issue.record("read differently with a request behind it: \(text)")
            return true
        }
        guard let parts = decoded(input) else {
            Issue.record("accepted but NIO's decoder refuses it: \(text)")
            return true
        }
        guard parts.count == (keepAlive ? 4 : 2), case .head(let nio) = parts[0], case .end = parts[1] else {
            Issue.record("accepted but NIO reads \(parts.count) parts: \(text)")
            return true
        }
        if keepAlive {
            guard case .head(let next) = parts[2], case .end = parts[3], next.uri == "/sentinel" else {
                Issue.record("the request after it was read differently: \(text)")
                return true
            }
        }
        #expect(nio.method == (head.isHead ? .HEAD : .GET), "\(text)")
        #expect(nio.uri == head.target, "\(text)")
        #expect(nio.version == (head.minorVersion == 1 ? .http1_1 : .http1_0), "\(text)")
        #expect(nio.headers.map { $0.name } == head.fields.map(\.name), "\(text)")
        #expect(nio.headers.map { $0.value } == head.fields.map(\.value), "\(text)")
        // It ends where the request does; anything left is empty lines, which the decoder
        // (given the rest of the connection) skips before the next request, as NIO did here.
        #expect(head.length <= request.count && request[head.length...].allSatisfy { $0 == 0x0D || $0 == 0x0A }, "\(text)")
        return true
    }

    static let lines = ["GET", "HEAD", "POST", "GET ", "get"]
    static let targets = ["/", "/store/products?limit=20&order=-price", "/a%20b", "/a b", "/a#b", "/a{b}", "/a|b", "/a\\b", "/a^b", "/a`b", "/a[b]", "/a\"b", "/a<b>", "*", "http://h/x", "/caf\u{E9}", "/a\u{1}b", "/a\u{7F}b"]
    static let versions = ["HTTP/1.1", "HTTP/1.0", "HTTP/1.2", "HTTP/2", "http/1.1", "HTTP/1.1 "]
    static let fields = [
        "Host: shop", "Accept-Encoding: gzip", "X-A:", "X-A: a b", "X-A:\ta", "X-A: a\tb", "X-A: a ", "X-A: a\t", " X-A: a", "X-A : a", "X A: a",
        "X-A: caf\u{E9}", "X-A: a\u{0}", "X-A: a\u{1}", "X-A: a\u{7F}", "Content-Length: 0", "Transfer-Encoding: chunked", "Expect: 100-continue",
        "Upgrade: h2c", "Connection: close", "Connection: keep-alive", ":a", "X-A: \"q\"", "If-None-Match: \"abc\", W/\"d\"",
    ]

    @Test func builtRequestsAreReadAlikeOrDeclined() {
        var accepted = 0
        var total = 0
        for line in Self.lines {
            for target in Self.targets {
                for version in Self.versions {
                    for field in Self.fields {
                        total += 1
                        if Self.check(Array("\(line) \(target) \(version)\r\nHost: s\r\n\(field)\r\n\r\n".utf8)) { accepted += 1 }
                    }
                }
            }
        }
        // Both outcomes occur: a parser that declines everything passes nothing here.
        #expect(accepted > 100 && accepted < total)
    }

    @Test func mutatedRequestsAreReadAlikeOrDeclined() {
        var generator = SeededGenerator(seed: 0x5EED_1234)
        let base = Array("GET /store/products?limit=20&order=-price HTTP/1.1\r\nHost: shop.example\r\nAccept-Encoding: gzip, br\r\nX-Publishable-Api-Key: pk_1\r\n\r\n".utf8)
        let interesting: [UInt8] = [0x00, 0x09, 0x0A, 0x0D, 0x20, 0x22, 0x23, 0x3A, 0x7F, 0x80, 0xFF, UInt8(ascii: "A"), UInt8(ascii: "/")]
        var accepted = 0
        for _ in 0..<100_000 {
            var request = base
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                let at = Int.random(in: 0..<request.count, using: &generator)
                let byte = Bool.random(using: &generator) ? generator.element(of: interesting) : UInt8.random(in: 0...255, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: request[at] = byte
                case 1: request.insert(byte, at: at)
                default: request.remove(at: at)
                }
            }
            if Self.check(request) { accepted += 1 }
        }
        #expect(accepted > 5_000)
    }
}
