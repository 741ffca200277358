import CatalogHTTP
import Testing

@Suite struct UpstreamEndpointTests {
    @Test func parsesHostPortAndBase() throws {
        let endpoint = try UpstreamEndpoint.parse("http://catalog.internal:8081/api/")
        #expect(endpoint.host == "catalog.internal")
        #expect(endpoint.port == 8081)
        #expect(endpoint.hostHeader == "catalog.internal:8081")
        #expect(endpoint.basePath == "/api")
    }

    @Test func defaultsPortTo80AndOmitsItFromHostHeader() throws {
        let endpoint = try UpstreamEndpoint.parse("HTTP://origin")
        #expect(endpoint.port == 80)
        #expect(endpoint.hostHeader == "origin")
        #expect(endpoint.basePath == "")
    }

    @Test func parsesIPv6Literal() throws {
        let endpoint = try UpstreamEndpoint.parse("http://[::1]:9000")
        #expect(endpoint.host == "::1")
        #expect(endpoint.port == 9000)
        #expect(endpoint.hostHeader == "[::1]:9000")
    }

    @Test func rejectsHTTPSWithAClearMessage() {
        #expect(throws: UpstreamURLError.unsupportedScheme("https://origin")) {
            try UpstreamEndpoint.parse("https://origin")
        }
        let message = UpstreamURLError.unsupportedScheme("https://origin").description
        #expect(message.contains("https is not supported"))
        #expect(!message.contains("\n"))
    }

    @Test(arguments: [
        ("origin:8080", UpstreamURLError.missingScheme("origin:8080")),
        ("ftp://origin", .unsupportedScheme("ftp://origin")),
        ("http://", .missingHost("http://")),
        ("http://:8080/x", .missingHost("http://:8080/x")),
        ("http://origin:", .badPort("http://origin:")),
        ("http://origin:0", .badPort("http://origin:0")),
        ("http://origin:65536", .badPort("http://origin:65536")),
        ("http://origin:80a", .badPort("http://origin:80a")),
        ("http://user@origin", .unsupportedComponent("http://user@origin")),
        ("http://origin/?q=1", .unsupportedComponent("http://origin/?q=1")),
    ])
    func rejectsBadURLs(url: String, expected: UpstreamURLError) {
        #expect(throws: expected) { try UpstreamEndpoint.parse(url) }
    }
}
