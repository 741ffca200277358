import CatalogCacheCore
import CatalogCompression
import NIOCore
import NIOHTTP1
import Testing

@testable import CatalogCacheProxy

/// Every way an entry becomes a response (stored gzip to a gzip client, the tier's identity
/// copy or an inflate to an identity client, identity entries, HEAD, 304), with and without
/// the header values the hot tier makes once: the headers must agree with the body sent.
@Suite struct EntryRepresentationTests {
    static let identity = Array(String(repeating: "{\"id\":\"prod_1\",\"title\":\"Shirt\"},", count: 200).utf8)

    static func route() throws -> CompiledRoute {
        let configuration = try ConfigurationLoader.parse(yaml: "routes:\n  - name: list\n    path: /store/products\n    key: \"products:{hash}\"\n    ttl: 60\n    tags: [products]\n")
        return CompiledRoute(index: 0, rule: configuration.routes[0])
    }

    static func entry(gzip: Bool) throws -> (EntryMetadata, ByteBuffer, ByteBuffer?) {
        let stored = gzip ? try Gzip.compress(identity) : identity
        let meta = EntryMetadata(
            status: 200, contentType: "application/json", etag: String(SHA256.hex(identity).prefix(32)), storedAt: 1_000,
            ttl: 60, staleWhileRevalidate: 0, staleIfError: 0, encoding: gzip ? .gzip : .identity,
            identityLength: identity.count, tags: ["products"], extraHeaders: []
        )
        return (meta, ByteBuffer(bytes: stored), gzip ? ByteBuffer(bytes: identity) : nil)
    }

    @Test(arguments: [true, false], [true, false])
    func headersAgreeWithTheBodySent(gzipEntry: Bool, prepared: Bool) throws {
        let (meta, stored, identityCopy) = try Self.entry(gzip: gzipEntry)
        let representation = EntryRepresentation(metrics: ProxyMetrics(routeNames: ["list"]))
        let values = prepared ? EntryHeaderValues(meta: meta, storedLength: stored.readableBytes) : nil
        for acceptsGzip in [true, false] {
            for copy in [identityCopy, nil] {
                if gzipEntry && !acceptsGzip && copy == nil { continue }  // the 502 case, below
                var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/store/products")
                if acceptsGzip { head.headers.add(name: "Accept-Encoding", value: "gzip") }
                let response = representation.response(meta: meta, storedBody: stored, identityBody: copy, headerValues: values, outcome: .hit, route: try Self.route(), request: head, prefersGzip: acceptsGzip, now: 3_000)
                let h = response.head.headers
                let body = try #require(response.body)
                #expect(h.first(name: "content-length") == String(body.readableBytes))
                let sentGzip = h.first(name: "content-encoding") == "gzip"
                #expect(sentGzip == (gzipEntry && acceptsGzip))
                let bytes = Array(body.readableBytesView)
                #expect((sentGzip ? try Gzip.decompress(bytes, maxOutput: 1 << 20) : bytes) == Self.identity)
                #expect(h.first(name: "etag") == meta.etagValue(for: sentGzip ? .gzip : .identity))
                #expect(h.first(name: "surrogate-key") == "products")
                #expect(h.first(name: "age") == "2")

                head.headers.add(name: "If-None-Match", value: meta.etagValue(for: sentGzip ? .gzip : .identity))
                let notModified = representation.response(meta: meta, storedBody: stored, identityBody: copy, headerValues: values, outcome: .hit, route: try Self.route(), request: head, prefersGzip: acceptsGzip, now: 3_000)
                #expect(notModified.head.status == .notModified)
                #expect(notModified.body == nil)
            }
        }
    }

    /// An identity client of a gzip entry whose identity body could not be made gets a 502,
    /// never the gzip bytes nor a body its headers do not describe.
    @Test func anIdentityClientOfAGzipEntryWithoutItsIdentityBodyGets502() throws {
        let (meta, stored, _) = try Self.entry(gzip: true)
        let representation = EntryRepresentation(metrics: ProxyMetrics(routeNames: ["list"]))
        let response = representation.response(meta: meta, storedBody: stored, identityBody: nil, outcome: .hit, route: try Self.route(), request: HTTPRequestHead(version: .http1_1, method: .GET, uri: "/store/products"), prefersGzip: false, now: 3_000)
        #expect(response.head.status == .badGateway)
        #expect(response.head.headers.first(name: "content-encoding") == nil)
    }
}
