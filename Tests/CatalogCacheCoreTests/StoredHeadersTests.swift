import Testing
import CatalogCacheCore

@Suite struct StoredHeadersTests {
    func h(_ pairs: [(String, String)]) -> [HeaderField] { pairs.map { HeaderField(name: $0.0, value: $0.1) } }

    @Test func storageDropsHopByHopAndConnectionNamed() {
        let stored = StoredHeaders.forStorage(h([
            ("Connection", "X-Conn, close"), ("X-Conn", "1"), ("Keep-Alive", "timeout=5"), ("Transfer-Encoding", "chunked"),
            ("Content-Length", "3"), ("Age", "9"), ("X-User", "u"), ("ETag", "\"a\""), ("Content-Type", "text/plain"),
            ("Proxy-Authenticate", "Basic"), ("Upgrade", "h2c"), ("TE", "trailers"), ("Trailer", "x"),
        ]), privateFields: ["x-user"])
        #expect(stored == h([("ETag", "\"a\""), ("Content-Type", "text/plain")]))
    }

    @Test func notModifiedMerge() {
        let stored = h([("ETag", "\"a\""), ("Cache-Control", "max-age=1"), ("X-Test", "old"), ("X-Test", "old2"), ("Content-Encoding", "gzip"), ("X-Keep", "k")])
        let update = h([("Cache-Control", "max-age=100"), ("X-Test", "new"), ("Content-Length", "0"), ("Content-Encoding", "br"), ("Connection", "x-hop"), ("X-Hop", "1"), ("X-New", "n")])
        let merged = StoredHeaders.merge(stored: stored, update: update)
        #expect(merged.values("x-test") == ["new"])
        #expect(merged.values("cache-control") == ["max-age=100"])
        #expect(merged.values("content-encoding") == ["gzip"])
        #expect(merged.values("x-keep") == ["k"] && merged.values("x-new") == ["n"])
        #expect(merged.values("x-hop").isEmpty && merged.values("content-length").isEmpty && merged.values("connection").isEmpty)
    }

    static let selection: [(String?, String?, String?, String?, Bool)] = [
        ("\"a\"", nil, "\"a\"", nil, true),
        ("\"a\"", nil, "W/\"a\"", nil, true),
        ("\"a\"", nil, "\"b\"", nil, false),
        (nil, nil, "\"b\"", nil, false),
        (nil, "Sun, 06 Nov 1994 08:49:37 GMT", nil, "Sun, 06 Nov 1994 08:49:37 GMT", true),
        (nil, "Sun, 06 Nov 1994 08:49:37 GMT", nil, "Mon, 07 Nov 1994 08:49:37 GMT", false),
        ("\"a\"", nil, nil, nil, true),
    ]

    @Test(arguments: selection) func selects(_ c: (String?, String?, String?, String?, Bool)) {
        #expect(StoredHeaders.selects(storedETag: c.0, storedLastModified: c.1, etag: c.2, lastModified: c.3) == c.4)
    }
}
