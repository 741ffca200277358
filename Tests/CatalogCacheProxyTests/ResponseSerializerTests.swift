import CatalogCacheCore
import CatalogCompression
import NIOCore
import NIOHTTP1
import Testing

@testable import CatalogCacheProxy

/// The proxy port's response encoder: framing decided from method, status and body; the
/// Connection header the handler's alone; nothing that could split a response.
@Suite struct ResponseSerializerTests {
    static func response(_ status: HTTPResponseStatus, _ headers: [(String, String)], body: String?, version: HTTPVersion = .http1_1) -> ProxyResponse {
        ProxyResponse(head: HTTPResponseHead(version: version, status: status, headers: HTTPHeaders(headers)), body: body.map { ByteBuffer(string: $0) }, outcome: .bypass)
    }

    static func text(_ response: ProxyResponse, method: HTTPMethod = .GET, connection: ResponseSerializer.ConnectionHeader = .none) -> String? {
        guard let bytes = ResponseSerializer.serialize(response, method: method, connection: connection, allocator: ByteBufferAllocator()) else { return nil }
        var all = bytes.head
        if var body = bytes.body { all.writeBuffer(&body) }
        return String(buffer: all)
    }

    @Test func aBodyIsFramedByItsOwnLengthWhateverTheHeadersClaimed() {
        let r = Self.response(.ok, [("Content-Type", "text/plain"), ("content-length", "999"), ("Transfer-Encoding", "chunked"), ("Connection", "upgrade")], body: "hello")
        #expect(Self.text(r) == "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello")
        #expect(Self.text(Self.response(.ok, [], body: nil)) == "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    }

    @Test func headAnd304KeepTheRepresentationsLengthAndSendNoBody() {
        let r = Self.response(.ok, [("Content-Length", "1234"), ("Transfer-Encoding", "chunked")], body: "ignored")
        #expect(Self.text(r, method: .HEAD) == "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n")
        let notModified = Self.response(.notModified, [("ETag", "\"a\""), ("Content-Length", "1234")], body: "ignored")
        #expect(Self.text(notModified) == "HTTP/1.1 304 Not Modified\r\nETag: \"a\"\r\nContent-Length: 1234\r\n\r\n")
    }

    @Test func noContentAndInterimAnswersCarryNoFraming() {
        let r = Self.response(.noContent, [("Content-Length", "3"), ("X-A", "1")], body: "abc")
        #expect(Self.text(r) == "HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n")
    }

    @Test func connectionIsTheHandlersDecision() {
        let r = Self.response(.ok, [("Connection", "keep-alive")], body: "x")
        #expect(Self.text(r, connection: .close) == "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx")
        let old = Self.response(.ok, [], body: "x", version: .http1_0)
        #expect(Self.text(old, connection: .keepAlive) == "HTTP/1.0 200 OK\r\nContent-Length: 1\r\nConnection: keep-alive\r\n\r\nx")
        #expect(Self.text(Self.response(.ok, [("connection", "close")], body: "x")) == "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx")
    }

    @Test func statusLinesCarryCodeAndReason() {
        #expect(Self.text(Self.response(.badGateway, [], body: nil))?.hasPrefix("HTTP/1.1 502 Bad Gateway\r\n") == true)
        #expect(Self.text(Self.response(.custom(code: 299, reasonPhrase: "Odd\r\nX-Evil: 1"), [], body: nil))?.hasPrefix("HTTP/1.1 299 \r\nContent-Length") == true)
    }

    @Test(arguments: [
        ("X-A", "a\r\nX-Evil: 1"), ("X-A", "a\nb"), ("X-A", "a\u{0}"), ("X-A", "a\u{7F}"),
        ("Bad Name", "v"), ("X-A:", "v"), ("", "v"), ("X-\u{E9}", "v"),
    ])
    func aHeaderThatCouldSplitTheResponseIsRefused(name: String, value: String) {
        #expect(Self.text(Self.response(.ok, [(name, value)], body: "x")) == nil)
    }

    @Test func tabsAndNonASCIIValuesAreFine() {
        #expect(Self.text(Self.response(.ok, [("X-A", "a\tb caf\u{E9}")], body: nil)) == "HTTP/1.1 200 OK\r\nX-A: a\tb caf\u{E9}\r\nContent-Length: 0\r\n\r\n")
    }

    @Test func largeBodiesGoAsTheirOwnBufferSmallOnesAreCopied() throws {
        let small = ResponseSerializer.serialize(Self.response(.ok, [], body: String(repeating: "a", count: ResponseSerializer.copyBodyLimit)), method: .GET, connection: .none, allocator: ByteBufferAllocator())
        #expect(small?.body == nil)
        let large = try #require(ResponseSerializer.serialize(Self.response(.ok, [], body: String(repeating: "a", count: ResponseSerializer.copyBodyLimit + 1)), method: .GET, connection: .none, allocator: ByteBufferAllocator()))
        #expect(large.body?.readableBytes == ResponseSerializer.copyBodyLimit + 1)
        #expect(String(buffer: large.head).hasSuffix("Content-Length: \(ResponseSerializer.copyBodyLimit + 1)\r\n\r\n"))
    }

    @Test(arguments: [0, 7, 10, 99, 100, 65_535, 1_000_000_007, Int.max])
    func decimalsAreWrittenLikeStringInit(value: Int) {
        var out = ByteBuffer()
        ResponseSerializer.writeDecimal(value, into: &out)
        #expect(String(buffer: out) == String(value))
    }

    /// A response written from a header block (the tier's prepared one for fresh hits, or one
    /// made per response for every outcome) sends the same bytes of body and the same header
    /// fields as the general path, for every encoding, method and version.
    @Test(arguments: [true, false])
    func preparedHitsSendWhatTheGeneralPathSends(gzipEntry: Bool) throws {
        let (plainMeta, stored, identityCopy) = try EntryRepresentationTests.entry(gzip: gzipEntry)
        let meta = EntryMetadata(
            status: plainMeta.status, contentType: plainMeta.contentType, etag: plainMeta.etag, storedAt: plainMeta.storedAt, ttl: plainMeta.ttl,
            staleWhileRevalidate: plainMeta.staleWhileRevalidate, staleIfError: 0, encoding: plainMeta.encoding, identityLength: plainMeta.identityLength,
            tags: ["products", "product:prod_1"], extraHeaders: [HeaderField(name: "last-modified", value: "Tue, 15 Nov 1994 08:12:31 GMT")]
        )
        let route = try EntryRepresentationTests.route()
        let values = EntryHeaderValues(meta: meta, storedLength: stored.readableBytes, route: route)
        let prepared = try #require(values.preparedHit)
        let representation = EntryRepresentation(metrics: ProxyMetrics(routeNames: ["list"]))
        for (method, version, acceptsGzip) in [(HTTPMethod.GET, HTTPVersion.http1_1, true), (.GET, .http1_1, false), (.HEAD, .http1_1, true), (.HEAD, .http1_0, false), (.GET, .http1_0, true)] {
            var head = HTTPRequestHead(version: version, method: method, uri: "/store/products")
            if acceptsGzip { head.headers.add(name: "Accept-Encoding", value: "gzip") }
            for (outcome, tierBlock) in [(CacheOutcome.hit, prepared), (.hit, nil), (.stale, nil), (.miss, nil), (.coalesced, nil), (.stale, prepared)] {
                let fast = try #require(representation.blockResponse(meta: meta, storedBody: stored, identityBody: identityCopy, prepared: tierBlock, outcome: outcome, route: route, request: head, prefersGzip: acceptsGzip, now: 63_000))
                let general = representation.response(meta: meta, storedBody: stored, identityBody: identityCopy, headerValues: values, outcome: outcome, route: route, request: head, prefersGzip: acceptsGzip, now: 63_000)
                #expect(fast.preparedHeaders != nil)
                let a = try #require(Self.text(fast, method: method, connection: .keepAlive))
                let b = try #require(Self.text(general, method: method, connection: .keepAlive))
                let (aHead, aBody) = Self.split(a)
                let (bHead, bBody) = Self.split(b)
                #expect(aHead.first == bHead.first)
                #expect(aHead.dropFirst().sorted() == bHead.dropFirst().sorted(), "\(method) \(version) gzip=\(acceptsGzip) \(outcome)")
                #expect(aBody == bBody)
                #expect(aHead.contains("Age: 62"))
                #expect(aHead.contains("X-Cache: \(outcome.xCacheValue)"))
            }
        }
        // Conditional requests take the general path (it answers 304).
        var conditional = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/store/products")
        conditional.headers.add(name: "If-None-Match", value: "*")
        #expect(representation.blockResponse(meta: meta, storedBody: stored, identityBody: identityCopy, prepared: prepared, outcome: .hit, route: route, request: conditional, prefersGzip: false, now: 63_000) == nil)
        // So does an identity client of a gzip entry whose identity body is not there yet.
        if gzipEntry {
            #expect(representation.blockResponse(meta: meta, storedBody: stored, identityBody: nil, prepared: prepared, outcome: .hit, route: route, request: HTTPRequestHead(version: .http1_1, method: .GET, uri: "/"), prefersGzip: false, now: 63_000) == nil)
        }
    }

    @Test func anEntryWithAFieldThatCannotBeSentGetsNoPreparedBlocks() throws {
        let (meta, stored, _) = try EntryRepresentationTests.entry(gzip: false)
        let bad = EntryMetadata(
            status: 200, contentType: "text/plain\r\nX-Evil: 1", etag: meta.etag, storedAt: 0, ttl: 60, staleWhileRevalidate: 0, staleIfError: 0,
            encoding: .identity, identityLength: meta.identityLength, tags: [], extraHeaders: []
        )
        let route = try EntryRepresentationTests.route()
        #expect(EntryHeaderValues(meta: bad, storedLength: stored.readableBytes, route: route).preparedHit == nil)
        #expect(EntryHeaderValues(meta: meta, storedLength: stored.readableBytes, route: nil).preparedHit == nil)
        // Nor a block per response: the general path answers, and the serializer refuses it.
        let representation = EntryRepresentation(metrics: ProxyMetrics(routeNames: ["list"]))
        let request = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/store/products")
        for meta in [bad, Self.with(meta, tags: ["products", "x\ny"]), Self.with(meta, extra: HeaderField(name: "bad name", value: "v")), Self.with(meta, extra: HeaderField(name: "x-ok", value: "a\rb"))] {
            #expect(representation.blockResponse(meta: meta, storedBody: stored, identityBody: nil, outcome: .hit, route: route, request: request, prefersGzip: true, now: 0) == nil)
            let general = representation.response(meta: meta, storedBody: stored, identityBody: nil, outcome: .hit, route: route, request: request, prefersGzip: true, now: 0)
            #expect(ResponseSerializer.serialize(general, method: .GET, connection: .none, allocator: ByteBufferAllocator()) == nil)
        }
    }

    static func with(_ meta: EntryMetadata, tags: [String]? = nil, extra: HeaderField? = nil) -> EntryMetadata {
        EntryMetadata(
            status: meta.status, contentType: meta.contentType, etag: meta.etag, storedAt: meta.storedAt, ttl: meta.ttl,
            staleWhileRevalidate: meta.staleWhileRevalidate, staleIfError: meta.staleIfError, encoding: meta.encoding,
            identityLength: meta.identityLength, tags: tags ?? meta.tags, extraHeaders: extra.map { [$0] } ?? meta.extraHeaders
        )
    }

    static func split(_ text: String) -> (head: [String], body: String) {
        let parts = text.components(separatedBy: "\r\n\r\n")
        return (parts[0].components(separatedBy: "\r\n"), parts.dropFirst().joined(separator: "\r\n\r\n"))
    }
}
