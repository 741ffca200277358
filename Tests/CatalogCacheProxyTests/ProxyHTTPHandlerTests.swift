import CatalogCacheCore
import CatalogCompression
import CatalogHTTP
import CatalogTestSupport
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOPosix
import Testing

@testable import CatalogCacheProxy

/// A parsed HTTP/1.1 response read back from an EmbeddedChannel.
struct RawResponse {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]
    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
}

/// Splits the bytes a channel wrote into responses (Content-Length framing only, which is
/// all the proxy uses). `headOnly` marks responses to HEAD (no body despite Content-Length).
func parseResponses(_ bytes: [UInt8], headOnly: Set<Int> = []) -> [RawResponse] {
    var out: [RawResponse] = []
    var rest = bytes[...]
    let separator: [UInt8] = Array("\r\n\r\n".utf8)
    while !rest.isEmpty {
        guard let end = rest.indices.first(where: { rest[$0...].starts(with: separator) }) else { break }
        let headText = String(decoding: rest[rest.startIndex..<end], as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        let headers = lines.map { line -> (String, String) in
            let colon = line.firstIndex(of: ":")!
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        var response = RawResponse(status: Int(statusLine[1])!, headers: headers, body: [])
        rest = rest[(end + 4)...]
        let length = headOnly.contains(out.count) || response.status == 304 || response.status == 100 ? 0 : Int(response.header("content-length") ?? "0")!
        response.body = Array(rest.prefix(length))
        rest = rest.dropFirst(length)
        out.append(response)
    }
    return out
}

final class HandlerFixture {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let clock = ManualClock(milliseconds: 1_700_000_000_000)
    let store: MemoryCacheStore
    let engine: CacheEngine
    let channel: EmbeddedChannel
    let configuration: ProxyConfiguration
    let upstream: UpstreamPool

    /// `timeouts`: also install the connection's deadlines (idle, head, body) in front.
    /// `wrapStore`: the store the engine uses, in front of the fixture's memory store.
    init(maxBodyBytes: Int = 1024, timeouts: ConnectionTimeouts? = nil, wrapStore: (MemoryCacheStore) -> any CacheStore = { $0 }) throws {
        var configuration = try ConfigurationLoader.load(path: ConfigurationLoaderTests.shippedConfig)
        configuration.maxRequestBodyBytes = maxBodyBytes
        self.configuration = configuration
        store = MemoryCacheStore(maxBytes: 1 << 20, clock: clock)
        upstream = UpstreamPool(endpoint: try UpstreamEndpoint.parse("http://127.0.0.1:1"), configuration: UpstreamPoolConfiguration(), group: group)
        engine = CacheEngine(configuration: configuration, store: wrapStore(store), upstream: upstream, metrics: ProxyMetrics(routeNames: configuration.routes.map(\.name)), clock: clock)
        channel = EmbeddedChannel()
        let deadlines = timeouts.map { ConnectionDeadlineHandler(timeouts: $0, metrics: engine.metrics) }
        if let deadlines { try channel.pipeline.syncOperations.addHandler(deadlines) }
        try ProxyHTTPHandler.install(on: channel.pipeline.syncOperations, engine: engine, maxBodyBytes: maxBodyBytes, deadlines: deadlines)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 5555)).wait()
    }

    deinit {
        // Shut the pool down first: once a test closes the channel, the engine (and the
        // pool) can be freed, and NIO reports a pool freed while running as a leaked promise.
        try? upstream.shutdown().wait()
        try? group.syncShutdownGracefully()
    }

    /// Stores `body` the way a fill would, under the hero banners key.
    func storeBanners(_ body: [UInt8], storedAt: Int64? = nil) throws -> EntryMetadata {
        var stored = body
        var encoding = ContentEncoding.identity
        if body.count >= 2048 {
            stored = try Gzip.compress(body)
            encoding = .gzip
        }
        let meta = EntryMetadata(
            status: 200, contentType: "application/json; charset=utf-8", etag: String(SHA256.hex(body).prefix(32)),
            storedAt: storedAt ?? clock.nowMilliseconds(), ttl: 300, staleWhileRevalidate: 600, staleIfError: configuration.routes[0].staleIfError,
            encoding: encoding, identityLength: body.count, tags: ["hero_banners"], extraHeaders: []
        )
        let value = ByteBuffer(bytes: EntryEnvelope.encode(metadata: meta, body: stored))
        let ticket = try store.ticket(tags: ["hero_banners"], on: channel.eventLoop).wait()
        #expect(try store.store("catalog:hero_banners:active", value: value, ttlMilliseconds: 900_000, tags: ["hero_banners"], ticket: ticket, on: channel.eventLoop).wait())
        return meta
    }

    func send(_ text: String) throws {
        try channel.writeInbound(ByteBuffer(string: text))
    }

    func written() throws -> [UInt8] {
        var bytes: [UInt8] = []
        while var buffer = try channel.readOutbound(as: ByteBuffer.self) {
            bytes += buffer.readBytes(length: buffer.readableBytes) ?? []
        }
        return bytes
    }
}

@Suite struct ProxyHTTPHandlerTests {
    @Test func freshEntryIsAHitWithEveryCacheHeader() throws {
        let f = try HandlerFixture()
        let body = Array(#"{"hero_banners":[{"id":"hb_1"}]}"#.utf8)
        let meta = try f.storeBanners(body)
        f.clock.advance(byMilliseconds: 42_000)
        try f.send("GET /store/hero-banners HTTP/1.1\r\nHost: shop\r\n\r\n")
        let responses = parseResponses(try f.written())
        #expect(responses.count == 1)
        let r = try #require(responses.first)
        #expect(r.status == 200)
        #expect(r.body == body)
        #expect(r.header("X-Cache") == "HIT")
        #expect(r.header("Cache-Control") == "public, max-age=300, stale-while-revalidate=600, stale-if-error=1800")
        #expect(r.header("ETag") == meta.etagValue(for: .identity))
        #expect(r.header("Age") == "42")
        #expect(r.header("Vary") == "Accept-Encoding")
        #expect(r.header("Content-Type") == "application/json; charset=utf-8")
        #expect(r.header("Surrogate-Key") == "hero_banners")
        #expect(r.header("Content-Encoding") == nil)
        #expect(f.engine.metrics.requestCount(route: "hero_banners", outcome: .hit) == 1)
        #expect(f.channel.isActive)
    }

    @Test func gzipStoredEntryServesStoredBytesToGzipClientsAndIdentityToOthers() throws {
        let f = try HandlerFixture()
        let body = Array(String(repeating: #"{"id":"prod_01","title":"Wool sweater"},"#, count: 200).utf8)
        let meta = try f.storeBanners(body)
        #expect(meta.encoding == .gzip)
        try f.send("GET /store/hero-banners HTTP/1.1\r\nHost: shop\r\nAccept-Encoding: gzip, br\r\n\r\n")
        try f.send("GET /store/hero-banners HTTP/1.1\r\nHost: shop\r\n\r\n")
        try f.send("GET /store/hero-banners HTTP/1.1\r\nHost: shop\r\nAccept-Encoding: gzip;q=0, identity\r\n\r\n")
        let rs = parseResponses(try f.written())
        #expect(rs.count == 3)
        #expect(rs[0].header("Content-Encoding") == "gzip")
        #expect(rs[0].body.count < body.count)
        #expect(try Gzip.decompress(rs[0].body, maxOutput: 1 << 20) == body)
        #expect(rs[1].header("Content-Encoding") == nil)
        #expect(rs[1].body == body)
        #expect(rs[2].body == body)
        #expect(rs[0].header("ETag") != rs[1].header("ETag"))
        #expect(rs[0].header("ETag") == meta.etagValue(for: .gzip))
        // The second identity client gets the body the first one inflated (same ETag).
        #expect(f.engine.metrics.inflatesPerRequest.count == 1)
    }

    @Test func matchingIfNoneMatchGets304WithoutBody() throws {
        let f = try HandlerFixture()
        let meta = try f.storeBanners(Array("{}".utf8))
        let etag = meta.etagValue(for: .identity)
        try f.send("GET /store/hero-banners HTTP/1.1\r\nHost: s\r\nIf-None-Match: \"nope\", \(etag)\r\n\r\n")
        try f.send("GET /store/hero-banners HTTP/1.1\r\nHost: s\r\nIf-None-Match: W/\(etag)\r\n\r\n")
        try f.send("GET /store/hero-banners HTTP/1.1\r\nHost: s\r\nIf-None-Match: *\r\n\r\n")
        try f.send("GET /store/hero-banners HTTP/1.1\r\nHost: s\r\nIf-None-Match: \"other\"\r\n\r\n")
        let rs = parseResponses(try f.written())
        #expect(rs.map(\.status) == [304, 304, 304, 200])
        #expect(rs[0].body.isEmpty)
        #expect(rs[0].header("ETag") == etag)
        #expect(rs[0].header("X-Cache") == "HIT")
        #expect(f.engine.metrics.notModified.count == 3)
    }

    @Test func headGetsHeadersWithoutBody() throws {
        let f = try HandlerFixture()
        _ = try f.storeBanners(Array("{\"a\":1}".utf8))
        try f.send("HEAD /store/hero-banners HTTP/1.1\r\nHost: s\r\n\r\nGET /store/hero-banners HTTP/1.1\r\nHost: s\r\n\r\n")
        let rs = parseResponses(try f.written(), headOnly: [0])
        #expect(rs.count == 2)
        #expect(rs[0].status == 200)
        #expect(rs[0].header("Content-Length") == "7")
        #expect(rs[0].body.isEmpty)
        #expect(rs[1].body == Array("{\"a\":1}".utf8))
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        let f = try HandlerFixture()
        _ = try f.storeBanners(Array("{\"n\":1}".utf8))
        let etag = try #require(parseResponsesAfter(f, "GET /store/hero-banners HTTP/1.1\r\nHost: s\r\n\r\n").first?.header("ETag"))
        let three = "GET /store/hero-banners HTTP/1.1\r\nHost: s\r\n\r\n"
            + "GET /store/hero-banners HTTP/1.1\r\nHost: s\r\nIf-None-Match: \(etag)\r\n\r\n"
            + "GET /store/hero-banners HTTP/1.1\r\nHost: s\r\n\r\n"
        let rs = try parseResponsesAfter(f, three)
        #expect(rs.map(\.status) == [200, 304, 200])
    }

    /// Plain requests skip NIO's decoder; a request split across reads, or one the plain
    /// parser declines, hands the rest of the connection to the decoder, in order.
    @Test func plainAndDecodedRequestsShareOneOrderedConnection() throws {
        let f = try HandlerFixture()
        _ = try f.storeBanners(Array("{\"n\":1}".utf8))
        try f.send("GET /store/hero-banners HTTP/1.1\r\nHost: s\r\n\r\nGET /store/hero-banners HTTP/1.1\r\nHo")
        try f.send("st: s\r\n\r\nHEAD /store/hero-banners HTTP/1.1\r\nHost: s\r\n\r\n")
        var rs = parseResponses(try f.written(), headOnly: [2])
        #expect(rs.map(\.status) == [200, 200, 200])
        #expect(rs.map { $0.body.count } == [7, 7, 0])
        try f.send("GET /store/hero-banners HTTP/1.1\r\nHost: s\r\n\r\nGET /x HTTP/1.1\r\nBad Header: x\r\n\r\n")
        rs = parseResponses(try f.written())
        #expect(rs.map(\.status) == [200, 400])
        #expect(!f.channel.isActive)
    }

    @Test func nothingIsReadAfterAPlainRequestThatClosesTheConnection() throws {
        let f = try HandlerFixture()
        _ = try f.storeBanners(Array("{}".utf8))
        try f.send("GET /store/hero-banners HTTP/1.1\r\nHost: s\r\nConnection: close\r\n\r\nGET /store/hero-banners HTTP/1.1\r\nHost: s\r\n\r\n")
        let rs = parseResponses(try f.written())
        #expect(rs.map(\.status) == [200])
        #expect(rs.first?.header("Connection") == "close")
        #expect(f.engine.metrics.requestCount(route: "hero_banners", outcome: .hit) == 1)
    }

    private func parseResponsesAfter(_ f: HandlerFixture, _ text: String) throws -> [RawResponse] {
        try f.send(text)
        return parseResponses(try f.written())
    }

    @Test func absoluteFormTargetIsServedFromTheSameEntry() throws {
        let f = try HandlerFixture()
        _ = try f.storeBanners(Array("{}".utf8))
        let rs = try parseResponsesAfter(f, "GET http://shop.example/store/hero-banners HTTP/1.1\r\nHost: shop.example\r\n\r\n")
        #expect(rs.first?.header("X-Cache") == "HIT")
    }

    @Test func oversizedDeclaredBodyGets413AndTheConnectionCloses() throws {
        let f = try HandlerFixture(maxBodyBytes: 100)
        try f.send("POST /admin/products HTTP/1.1\r\nHost: s\r\nContent-Length: 101\r\n\r\n")
        let rs = parseResponses(try f.written())
        #expect(rs.first?.status == 413)
        #expect(rs.first?.header("Content-Type") == "application/json; charset=utf-8")
        let text = String(decoding: rs.first?.body ?? [], as: UTF8.self)
        #expect(text.contains("\"error\":\"body_too_large\""))
        #expect(!f.channel.isActive)
    }

    @Test func oversizedChunkedBodyGets413() throws {
        let f = try HandlerFixture(maxBodyBytes: 10)
        try f.send("POST /admin/products HTTP/1.1\r\nHost: s\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n")
        let rs = parseResponses(try f.written())
        #expect(rs.first?.status == 413)
        #expect(!f.channel.isActive)
    }

    @Test func expectContinueGetsAnInterimResponse() throws {
        let f = try HandlerFixture(maxBodyBytes: 100)
        try f.send("POST /admin/x HTTP/1.1\r\nHost: s\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
        let interim = String(decoding: try f.written(), as: UTF8.self)
        #expect(interim.hasPrefix("HTTP/1.1 100 Continue\r\n"))
        // A request declaring a body over the limit is refused before the body is sent.
        let g = try HandlerFixture(maxBodyBytes: 100)
        try g.send("POST /admin/x HTTP/1.1\r\nHost: s\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n")
        let refused = parseResponses(try g.written())
        #expect(refused.map(\.status) == [413])
        // HTTP/1.0 has no 100 Continue: the client gets only the final answer.
        let h = try HandlerFixture(maxBodyBytes: 100)
        try h.send("POST /admin/x HTTP/1.0\r\nHost: s\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
        #expect(try h.written().isEmpty)
    }

    @Test(arguments: [
        "GET /store/hero-banners HTTP/1.1\r\nHost: s\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
        "GET /store/hero-banners HTTP/1.1\r\nHost: s\r\nBad Header: x\r\n\r\n",
        "GET /store/hero-banners HTTP/1.1\r\nHost: s\r\n folded: continuation\r\n\r\n",
        "NOT-HTTP\r\n\r\n",
        "GET /store/hero-banners HTTP/1.1\r\nHost: s\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
    ])
    func malformedRequestGetsJSON400AndTheConnectionCloses(raw: String) throws {
        let f = try HandlerFixture()
        _ = try f.storeBanners(Array("{}".utf8))
        try? f.send(raw)
        let rs = parseResponses(try f.written())
        #expect(rs.count == 1)
        #expect(rs.first?.status == 400)
        let text = String(decoding: rs.first?.body ?? [], as: UTF8.self)
        #expect(text.hasPrefix("{\"error\":\"bad_request\""))
        #expect(!f.channel.isActive)
    }

    @Test func oversizedHeadersGet431() throws {
        let f = try HandlerFixture()
        let huge = String(repeating: "a", count: 100_000)
        try? f.send("GET /store/hero-banners HTTP/1.1\r\nHost: s\r\nX-Big: \(huge)\r\n\r\n")
        let rs = parseResponses(try f.written())
        #expect(rs.first?.status == 431)
        #expect(!f.channel.isActive)
    }

    @Test func pathWithEncodedSlashIsRefusedNotRouted() throws {
        let f = try HandlerFixture()
        let rs = try parseResponsesAfter(f, "GET /store/hero-banners%2F..%2F..%2Fadmin HTTP/1.1\r\nHost: s\r\n\r\n")
        #expect(rs.first?.status == 400)
        let text = String(decoding: rs.first?.body ?? [], as: UTF8.self)
        #expect(text.contains("bad_path"))
        #expect(f.engine.metrics.requestCount(route: "-", outcome: .bypass) == 1)
    }

    /// While one request is answered (its store lookup not yet answered) the socket keeps
    /// being read; once a request is held behind it, reads stop until it is delivered.
    @Test func readsStopOnlyWhileRequestsAreHeld() throws {
        var gated: GatedStore?
        let f = try HandlerFixture(wrapStore: { memory in
            let store = GatedStore(memory)
            gated = store
            return store
        })
        let store = try #require(gated)
        let reads = ReadCounter()
        try f.channel.pipeline.syncOperations.addHandler(reads, position: .first)
        _ = try f.storeBanners(Array("{}".utf8))
        try f.send("GET /store/hero-banners HTTP/1.1\r\nHost: s\r\n\r\n")
        f.channel.read()
        #expect(reads.count == 1)
        #expect(try f.written().isEmpty)
        try f.send("HEAD /store/hero-banners HTTP/1.1\r\nHost: s\r\n\r\n")
        f.channel.read()
        #expect(reads.count == 1)
        store.open()
        #expect(parseResponses(try f.written(), headOnly: [1]).map(\.status) == [200, 200])
        #expect(reads.count == 2)
    }
}

/// A store whose first lookup is answered only when the test calls `open()` (on the
/// caller's thread, so an `EmbeddedChannel` test stays single-threaded).
final class GatedStore: CacheStore, @unchecked Sendable {
    let wrapped: MemoryCacheStore
    let kind = "memory"
    private var gateNext = true
    private var pending: [(EventLoopPromise<ByteBuffer?>, String, EventLoop)] = []

    init(_ wrapped: MemoryCacheStore) { self.wrapped = wrapped }

    func open() {
        for (promise, key, loop) in pending { wrapped.get(key, on: loop).cascade(to: promise) }
        pending = []
    }

    func get(_ key: String, on loop: EventLoop) -> EventLoopFuture<ByteBuffer?> {
        guard gateNext else { return wrapped.get(key, on: loop) }
        gateNext = false
        let promise = loop.makePromise(of: ByteBuffer?.self)
        pending.append((promise, key, loop))
        return promise.futureResult
    }
    func ticket(tags: [String], on loop: EventLoop) -> EventLoopFuture<StoreTicket> { wrapped.ticket(tags: tags, on: loop) }
    func store(_ key: String, value: ByteBuffer, ttlMilliseconds: Int64, tags: [String], ticket: StoreTicket, on loop: EventLoop) -> EventLoopFuture<Bool> {
        wrapped.store(key, value: value, ttlMilliseconds: ttlMilliseconds, tags: tags, ticket: ticket, on: loop)
    }
    func invalidate(keys: [String], tags: [String], on loop: EventLoop) -> EventLoopFuture<Int> { wrapped.invalidate(keys: keys, tags: tags, on: loop) }
    func ping(on loop: EventLoop) -> EventLoopFuture<Bool> { wrapped.ping(on: loop) }
    func shutdown() async {}
}

/// Counts the `read` calls that reach the front of the pipeline (the socket).
final class ReadCounter: ChannelOutboundHandler {
    typealias OutboundIn = Any
    private(set) var count = 0

    func read(context: ChannelHandlerContext) {
        count += 1
        context.read()
    }
}
