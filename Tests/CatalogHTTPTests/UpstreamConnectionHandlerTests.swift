@testable import CatalogHTTP
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

/// An `UpstreamConnectionHandler` behind NIO's HTTP client codecs on an `EmbeddedChannel`:
/// the test sees the exact bytes written and feeds raw response bytes.
private final class Harness {
    let channel = EmbeddedChannel()
    let handler: UpstreamConnectionHandler
    var releases: [Bool] = []

    init(maxBody: Int = 1 << 20, readTimeout: TimeAmount = .seconds(5), idleTimeout: TimeAmount = .seconds(60)) throws {
        handler = UpstreamConnectionHandler(readTimeout: readTimeout, idleTimeout: idleTimeout, maxResponseBodySize: maxBody)
        try channel.pipeline.syncOperations.addHTTPClientHandlers()
        try channel.pipeline.syncOperations.addHandler(handler)
        channel.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 80), promise: nil)
        handler.onRequestDone = { [unowned self] reusable in self.releases.append(reusable) }
    }

    func send(_ request: UpstreamRequest, total: TimeAmount = .seconds(30)) -> ResultBox {
        let promise = channel.embeddedEventLoop.makePromise(of: UpstreamResponse.self)
        let box = ResultBox()
        promise.futureResult.whenComplete { result in box.set(result) }
        var prepared = request
        prepared.head = request.preparedHead(hostHeader: "origin:8080")
        handler.execute(prepared, deadline: channel.embeddedEventLoop.now + total, promise: promise)
        return box
    }

    /// Everything written so far, as text.
    func written() throws -> String {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
            text += String(buffer: buffer)
        }
        return text
    }

    func feed(_ text: String) throws {
        try channel.writeInbound(ByteBuffer(string: text))
    }
}

private final class ResultBox: Sendable {
    private let box = NIOLockedValueBox<Result<UpstreamResponse, any Error>?>(nil)
    func set(_ result: Result<UpstreamResponse, any Error>) { box.withLockedValue { $0 = result } }
    var isDone: Bool { box.withLockedValue { $0 != nil } }
    var response: UpstreamResponse? { box.withLockedValue { try? $0?.get() } }
    var error: UpstreamError? {
        box.withLockedValue { result in
            guard case .failure(let error) = result else { return nil }
            return error as? UpstreamError
        }
    }
}

@Suite struct UpstreamConnectionHandlerTests {
    @Test func sendsHeadAsGivenWithHostAndContentLength() throws {
        let harness = try Harness()
        let body = ByteBuffer(string: "{\"a\":1}")
        _ = harness.send(UpstreamRequest(method: .POST, uri: "/items?x=1", headers: ["X-Trace": "t1"], body: body))
        let wire = try harness.written()
        #expect(wire.hasPrefix("POST /items?x=1 HTTP/1.1\r\n"))
        #expect(wire.contains("X-Trace: t1\r\n"))
        #expect(wire.contains("host: origin:8080\r\n"))
        #expect(wire.contains("content-length: 7\r\n"))
        #expect(!wire.lowercased().contains("transfer-encoding"))
        #expect(wire.hasSuffix("\r\n\r\n{\"a\":1}"))
    }

    @Test func keepsCallersHostAndSendsBodylessPOSTWithZeroLength() throws {
        let harness = try Harness()
        _ = harness.send(UpstreamRequest(method: .POST, uri: "/x", headers: ["Host": "shop.example"]))
        let wire = try harness.written()
        #expect(wire.contains("Host: shop.example\r\n"))
        #expect(!wire.contains("origin:8080"))
        #expect(wire.contains("content-length: 0\r\n"))
    }

    @Test func contentLengthResponseKeepsConnection() throws {
        let harness = try Harness()
        let result = harness.send(UpstreamRequest(uri: "/a"))
        try harness.feed("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel")
        #expect(!result.isDone)
        try harness.feed("lo")
        #expect(result.response.map { String(buffer: $0.body) } == "hello")
        #expect(harness.releases == [true])
        #expect(harness.handler.isUsable)
    }

    @Test func chunkedResponse() throws {
        let harness = try Harness()
        let result = harness.send(UpstreamRequest(uri: "/a"))
        try harness.feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
        #expect(result.response.map { String(buffer: $0.body) } == "abcde")
        #expect(harness.releases == [true])
    }

    @Test func readUntilCloseResponse() throws {
        let harness = try Harness()
        let result = harness.send(UpstreamRequest(uri: "/a"))
        try harness.feed("HTTP/1.1 200 OK\r\n\r\npart one, ")
        try harness.feed("part two")
        #expect(!result.isDone)
        try harness.channel.close().wait()
        #expect(result.response.map { String(buffer: $0.body) } == "part one, part two")
        #expect(harness.releases == [false])
    }

    @Test func headResponseHasNoBodyDespiteContentLength() throws {
        let harness = try Harness()
        let result = harness.send(UpstreamRequest(method: .HEAD, uri: "/a"))
        try harness.feed("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n")
        #expect(result.response?.body.readableBytes == 0)
        #expect(result.response?.head.headers["content-length"] == ["1234"])
        #expect(harness.releases == [true])
    }

    @Test(arguments: ["204 No Content", "304 Not Modified"])
    func bodylessStatuses(status: String) throws {
        let harness = try Harness()
        let result = harness.send(UpstreamRequest(uri: "/a"))
        try harness.feed("HTTP/1.1 \(status)\r\n\r\n")
        #expect(result.response?.body.readableBytes == 0)
        #expect(harness.releases == [true])
    }

    @Test func interim100ContinueIsIgnored() throws {
        let harness = try Harness()
        let result = harness.send(UpstreamRequest(method: .PUT, uri: "/a", body: ByteBuffer(string: "x")))
        try harness.feed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok")
        #expect(result.response?.head.status == .created)
        #expect(result.response.map { String(buffer: $0.body) } == "ok")
    }

    @Test func http10WithoutKeepAliveIsNotReused() throws {
        let harness = try Harness()
        let result = harness.send(UpstreamRequest(uri: "/a"))
        try harness.feed("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")
        #expect(result.response != nil)
        #expect(harness.releases == [false])
        #expect(!harness.channel.isActive)
    }

    @Test func connectionCloseHeaderIsNotReused() throws {
        let harness = try Harness()
        let result = harness.send(UpstreamRequest(uri: "/a"))
        try harness.feed("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok")
        #expect(result.response != nil)
        #expect(harness.releases == [false])
        #expect(!harness.channel.isActive)
    }

    @Test func closeMidBodyFailsWithConnectionClosed() throws {
        let harness = try Harness()
        let result = harness.send(UpstreamRequest(method: .POST, uri: "/a", body: ByteBuffer(string: "x")))
        try harness.feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
        try harness.channel.close().wait()
        #expect(result.error == .connectionClosedBeforeResponse)
        #expect(harness.releases == [false])
    }

    @Test func closeBeforeAnyResponseFailsWithConnectionClosed() throws {
        let harness = try Harness()
        let result = harness.send(UpstreamRequest(uri: "/a"))
        try harness.channel.close().wait()
        #expect(result.error == .connectionClosedBeforeResponse)
    }

    @Test func garbageIsMalformed() throws {
        let harness = try Harness()
        let result = harness.send(UpstreamRequest(uri: "/a"))
        try harness.feed("SMTP ready\r\n\r\n")
        guard case .malformedResponse = result.error else {
            Issue.record("expected malformedResponse, got \(String(describing: result.error))")
            return
        }
        #expect(!harness.channel.isActive)
    }

    @Test func tooLargeBodyFailsAndCloses() throws {
        let harness = try Harness(maxBody: 4)
        let result = harness.send(UpstreamRequest(uri: "/a"))
        try harness.feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n")
        #expect(result.error == .responseTooLarge)
        #expect(!harness.channel.isActive)
    }

    @Test func readTimeoutCountsGapsNotTotalTime() throws {
        let harness = try Harness(readTimeout: .seconds(5))
        let result = harness.send(UpstreamRequest(uri: "/a"))
        harness.channel.embeddedEventLoop.advanceTime(by: .seconds(3))
        try harness.feed("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab")
        harness.channel.embeddedEventLoop.advanceTime(by: .seconds(3))
        #expect(!result.isDone)
        harness.channel.embeddedEventLoop.advanceTime(by: .seconds(3))
        #expect(result.error == .readTimeout)
        #expect(harness.releases == [false])
        #expect(!harness.channel.isActive)
    }

    @Test func totalTimeoutFiresEvenWhileDataTrickles() throws {
        let harness = try Harness(readTimeout: .seconds(5))
        let result = harness.send(UpstreamRequest(uri: "/a"), total: .seconds(8))
        try harness.feed("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\na")
        harness.channel.embeddedEventLoop.advanceTime(by: .seconds(4))
        try harness.feed("b")
        harness.channel.embeddedEventLoop.advanceTime(by: .seconds(4))
        #expect(result.error == .totalTimeout)
        #expect(!harness.channel.isActive)
    }

    @Test func idleConnectionClosesAfterIdleTimeout() throws {
        let harness = try Harness(idleTimeout: .seconds(60))
        let result = harness.send(UpstreamRequest(uri: "/a"))
        try harness.feed("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        #expect(result.response != nil)
        harness.channel.embeddedEventLoop.advanceTime(by: .seconds(59))
        #expect(harness.channel.isActive)
        harness.channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!harness.channel.isActive)
    }

    @Test func invalidHeaderIsRejectedBeforeAnythingIsSent() throws {
        let harness = try Harness()
        let result = harness.send(UpstreamRequest(uri: "/a", headers: ["X-Bad": "a\r\nInjected: 1"]))
        guard case .invalidRequest = result.error else {
            Issue.record("expected invalidRequest, got \(String(describing: result.error))")
            return
        }
        #expect(try harness.written() == "")
    }

    @Test func secondRequestReusesTheConnection() throws {
        let harness = try Harness()
        let first = harness.send(UpstreamRequest(uri: "/1"))
        try harness.feed("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1")
        #expect(first.response != nil)
        _ = try harness.written()
        let second = harness.send(UpstreamRequest(uri: "/2"))
        #expect(try harness.written().hasPrefix("GET /2 HTTP/1.1"))
        try harness.feed("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n2")
        #expect(second.response.map { String(buffer: $0.body) } == "2")
        #expect(harness.releases == [true, true])
    }
}
