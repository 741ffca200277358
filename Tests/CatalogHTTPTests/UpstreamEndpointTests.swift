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

    @Test func parsesHTTPSWithItsDefaultPort() throws {
        let endpoint = try UpstreamEndpoint.parse("https://origin/api")
        #expect(endpoint.usesTLS && endpoint.port == 443 && endpoint.hostHeader == "origin" && endpoint.basePath == "/api")
        let other = try UpstreamEndpoint.parse("HTTPS://origin:8443")
        #expect(other.usesTLS && other.port == 8443 && other.hostHeader == "origin:8443")
        #expect(try !UpstreamEndpoint.parse("http://origin").usesTLS)
        let message = UpstreamURLError.unsupportedScheme("ftp://origin").description
        #expect(message.contains("only http:// and https://"))
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
