import CatalogCacheCore
import Foundation
import Logging
import NIOHTTP1
import Synchronization
import Testing

@testable import CatalogCacheProxy

@Suite struct LoggingTests {
    final class Lines: Sendable {
        let value = Mutex<[String]>([])
        var all: [String] { value.withLock { $0 } }
    }

    @Test func jsonLinesCarryLevelMessageAndMetadata() throws {
        let lines = Lines()
        var handler = JSONLogHandler(label: "catalog-cache", write: { line in lines.value.withLock { $0.append(line) } })
        handler.logLevel = .info
        handler[metadataKey: "instance"] = "a"
        let logger = Logger(label: "catalog-cache") { _ in handler }
        logger.debug("not at info")
        logger.warning("upstream \"down\"\nnext\u{2028}\u{1}", metadata: ["request_id": "r-1", "fill": .stringConvertible(true), "tags": ["a", "b"]])
        #expect(lines.all.count == 1)
        let line = try #require(lines.all.first)
        #expect(line.hasSuffix("}\n") && line.filter { $0 == "\n" }.count == 1, "one line: \(line)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["level"] as? String == "warning")
        #expect(object["msg"] as? String == "upstream \"down\"\nnext\u{2028}\u{1}")
        #expect(line.contains("\\u2028") && line.contains("\\u0001"), "escaped: \(line)")
        #expect(object["logger"] as? String == "catalog-cache")
        #expect(object["request_id"] as? String == "r-1")
        #expect(object["fill"] as? String == "true")
        #expect(object["tags"] as? [String] == ["a", "b"])
        #expect(object["instance"] as? String == "a")
        let ts = try #require(object["ts"] as? String)
        #expect(ts.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil, "\(ts)")
    }

    @Test func levelNames() {
        #expect(LogOutput.level("INFO") == .info)
        #expect(LogOutput.level("warn") == .warning)
        #expect(LogOutput.level("loud") == nil)
    }

    @Test func forwardedRequestsGetARequestID() {
        var client = HTTPHeaders()
        client.add(name: "X-Request-Id", value: "abc-1")
        #expect(ForwardingHeaders.forwardedRequestHeaders(client, clientAddress: nil)["x-request-id"] == ["abc-1"])
        #expect(ForwardingHeaders.fillRequestHeaders(client, clientAddress: nil)["x-request-id"] == ["abc-1"])
        // Missing, unsafe, or given twice: replaced by one id of the proxy's.
        var twice = client
        twice.add(name: "X-Request-Id", value: "abc-2")
        var unsafe = HTTPHeaders()
        unsafe.add(name: "X-Request-Id", value: "<script>")
        var seen: Set<String> = []
        for headers in [HTTPHeaders(), twice, unsafe] {
            let ids = ForwardingHeaders.forwardedRequestHeaders(headers, clientAddress: nil)["x-request-id"]
            #expect(ids.count == 1)
            #expect(ids.first.map { $0.hasPrefix(RequestIDs.prefix + "-") } == true, "\(ids)")
            seen.formUnion(ids)
        }
        #expect(seen.count == 3)
    }
}
