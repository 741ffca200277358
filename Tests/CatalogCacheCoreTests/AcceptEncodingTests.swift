import Testing
@testable import CatalogCacheCore

@Suite struct AcceptEncodingTests {
    @Test(arguments: [
        (nil, false),
        ("", false),
        ("gzip", true),
        ("GZIP", true),
        ("x-gzip", true),
        ("gzip, deflate, br", true),
        ("br, gzip;q=0.8", true),
        ("deflate, br", false),
        ("identity", false),
        ("*", true),
        ("*;q=0", false),
        ("*;q=0, gzip", true),
        ("gzip;q=0", false),
        ("gzip;q=0.000", false),
        ("gzip;q=0, *", false),
        ("gzip;q=0, x-gzip;q=0.5", true),
        ("gzip;q=0.001", true),
        ("gzip;q=1.000", true),
        ("gzip ; q = 0.5 ", true),
        ("gzip;Q=0", false),
        ("gzip;level=9;q=0.7", true),
        ("identity;q=0", false),
        ("identity;q=0, gzip", true),
        ("gzip;q=0.5, identity", false),
        ("gzip;q=0.5, identity;q=0.5", true),
        ("gzip;q=0.5, *;q=0.1", true),
        ("gzip;q=0.5, *", false),
        ("  gzip  ,  ", true),
        (",,gzip,,", true),
        // Malformed q-values: the member is ignored.
        ("gzip;q=abc", false),
        ("gzip;q=1.5", false),
        ("gzip;q=2", false),
        ("gzip;q=0.1234", false),
        ("gzip;q=", false),
        ("gzip;q=-1", false),
        ("gzip;q=.5", false),
        ("gzip;q=abc, *", true),
        ("gzip;q=1.001", false),
        ("gzip;foo", false),
        ("gz ip", false),
        ("gzipx", false),
    ] as [(String?, Bool)])
    func negotiation(header: String?, expected: Bool) {
        #expect(AcceptEncoding.prefersGzip(header) == expected)
    }

    @Test(arguments: [
        ("0", 0), ("1", 1000), ("0.5", 500), ("0.05", 50), ("0.123", 123), ("1.0", 1000), ("1.", 1000),
        ("0.", 0), ("1.000", 1000),
    ])
    func qValues(text: String, expected: Int) {
        #expect(AcceptEncoding.qValue(text.utf8) == expected)
    }

    @Test(arguments: ["", "2", "1.1", "0.1234", "a", ".5", "-0", "01", "0,5"])
    func invalidQValues(text: String) {
        #expect(AcceptEncoding.qValue(text.utf8) == nil)
    }
}
