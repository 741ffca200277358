import CatalogCacheCore
import Testing

@Suite struct SimpleRequestHeadTests {
    static func parse(_ text: String) -> SimpleRequestHead.Result {
        Array(text.utf8).withUnsafeBytes { SimpleRequestHead.parse($0) }
    }

    @Test func aPlainGetIsReadWithItsFieldsAndLength() throws {
        let text = "GET /store/products?limit=20&order=-price HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nAccept-Encoding:gzip, br\r\nX-Empty:\r\n\r\nGET /next"
        guard case .head(let head) = Self.parse(text) else { Issue.record("not read"); return }
        #expect(!head.isHead && head.minorVersion == 1)
        #expect(head.target == "/store/products?limit=20&order=-price")
        #expect(head.fields.map(\.name) == ["Host", "Accept-Encoding", "X-Empty"])
        #expect(head.fields.map(\.value) == ["127.0.0.1:8080", "gzip, br", ""])
        #expect(head.length == text.utf8.count - "GET /next".utf8.count)
        guard case .head(let old) = Self.parse("HEAD / HTTP/1.0\r\n\r\n") else { Issue.record("not read"); return }
        #expect(old.isHead && old.minorVersion == 0 && old.fields.isEmpty && old.length == 19)
    }

    @Test(arguments: [
        "POST / HTTP/1.1\r\n\r\n", "get / HTTP/1.1\r\n\r\n", "GET  / HTTP/1.1\r\n\r\n", "GET / HTTP/1.2\r\n\r\n", "GET / HTTP/2.0\r\n\r\n",
        "GET / http/1.1\r\n\r\n", "GET /a#b HTTP/1.1\r\n\r\n", "GET /a{b} HTTP/1.1\r\n\r\n", "GET /a\"b HTTP/1.1\r\n\r\n", "GET http://h/ HTTP/1.1\r\n\r\n", "GET * HTTP/1.1\r\n\r\n", "GET a/b HTTP/1.1\r\n\r\n",
        "GET /\u{E9} HTTP/1.1\r\n\r\n", "GET / HTTP/1.1\n\r\n", "GET / HTTP/1.1\r\nHost: a\n\r\n", "GET / HTTP/1.1\r\nHost: a\r\n\n",
        "GET / HTTP/1.1\r\nHost: a \r\n\r\n", "GET / HTTP/1.1\r\nHost: a\t\r\n\r\n", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", "GET / HTTP/1.1\r\nX-A: a\u{0}b\r\n\r\n", "GET / HTTP/1.1\r\nX-A: caf\u{E9}\r\n\r\n", "GET / HTTP/1.1\r\n: a\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", "GET / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n", "GET / HTTP/1.1\r\nEXPECT: 100-continue\r\n\r\n",
        "GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n", "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", "GET / HTTP/1.1\r\n\r\r\n", "GET / HTTP/1.1\rX\r\n\r\n",
    ])
    func anythingUnusualIsDeclined(text: String) {
        #expect(Self.parse(text) == .declined, "\(text.debugDescription)")
    }

    /// Every proper prefix of a plain head is incomplete (never declined, never a head).
    @Test func everyPrefixOfAPlainHeadIsIncomplete() {
        let text = "HEAD /store/hero-banners?x=1 HTTP/1.0\r\nHost: shop\r\nX-A: a b\r\n\r\n"
        let bytes = Array(text.utf8)
        for n in 0..<bytes.count {
            let result = bytes[..<n].withUnsafeBytes { SimpleRequestHead.parse($0) }
            #expect(result == .incomplete, "prefix of \(n) bytes: \(result)")
        }
    }

    @Test func headsOverTheBoundsAreDeclined() {
        let long = "GET /" + String(repeating: "a", count: SimpleRequestHead.maxHeadBytes) + " HTTP/1.1\r\n\r\n"
        #expect(Self.parse(long) == .declined)
        let many = "GET / HTTP/1.1\r\n" + String(repeating: "X-A: 1\r\n", count: SimpleRequestHead.maxFields + 1) + "\r\n"
        #expect(Self.parse(many) == .declined)
        let enough = "GET / HTTP/1.1\r\n" + String(repeating: "X-A: 1\r\n", count: SimpleRequestHead.maxFields) + "\r\n"
        guard case .head(let head) = Self.parse(enough) else { Issue.record("not read"); return }
        #expect(head.fields.count == SimpleRequestHead.maxFields)
    }
}
