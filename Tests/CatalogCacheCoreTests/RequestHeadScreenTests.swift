import CatalogCacheCore
import Testing

@Suite struct RequestHeadScreenTests {
    private let vary = ["x-publishable-api-key"]

    private func screen(_ fields: [(String, String)], method: String = "GET", target: String = "/store/products", http11: Bool = true, limits: RequestHeadLimits = .standard) -> RequestHeadRefusal? {
        RequestHeadScreen.screen(method: method, target: target, requiresHost: http11, fields: fields.map { (name: $0.0, value: $0.1) }, varyNames: vary, limits: limits)
    }

    @Test func anOrdinaryRequestPasses() {
        #expect(screen([("Host", "shop"), ("X-Publishable-Api-Key", "pk_1"), ("Connection", "keep-alive"), ("Accept", "*/*")]) == nil)
        // HTTP/1.0 may omit Host.
        #expect(screen([], http11: false) == nil)
    }

    @Test func hostMustBeThereOnceOnHTTP11() {
        #expect(screen([("Accept", "*/*")]) == .missingHost)
        #expect(screen([("Host", "a"), ("host", "b")]) == .repeatedHost)
        #expect(screen([("Host", "a"), ("HOST", "a")], http11: false) == .repeatedHost)
    }

    @Test func aVaryHeaderSentTwiceIsRefused() {
        let refusal = screen([("Host", "s"), ("x-publishable-api-key", "pk_1"), ("X-Publishable-API-Key", "pk_2")])
        #expect(refusal == .repeatedVaryHeader("x-publishable-api-key"))
        #expect(refusal?.status == 400)
    }

    @Test func connectionMayNotNominateAVaryHeader() {
        #expect(screen([("Host", "s"), ("Connection", "keep-alive, X-Publishable-Api-Key"), ("X-Publishable-Api-Key", "pk_1")]) == .connectionNamesVaryHeader("x-publishable-api-key"))
        #expect(screen([("Host", "s"), ("Connection", "close")]) == nil)
    }

    @Test func upgradesAndConnectAreRefused() {
        #expect(screen([("Host", "s"), ("Connection", "Upgrade"), ("Upgrade", "websocket")]) == .upgrade)
        #expect(screen([("Host", "s")], method: "CONNECT", target: "example.com:443") == .connect)
    }

    @Test func sizeLimitsGive431() {
        let limits = RequestHeadLimits(maxHeadBytes: 2048, maxFieldLineBytes: 1024)
        // "X-A: " + value + CRLF: 1024 bytes exactly is allowed, one more is not.
        #expect(screen([("Host", "s"), ("X-A", String(repeating: "a", count: 1024 - 7))], limits: limits) == nil)
        let long = screen([("Host", "s"), ("X-A", String(repeating: "a", count: 1024 - 6))], limits: limits)
        #expect(long == .fieldTooLarge)
        #expect(long?.status == 431)
        let many = (0..<4).map { ("X-\($0)", String(repeating: "a", count: 600)) }
        #expect(screen([("Host", "s")] + many, limits: limits) == .headTooLarge)
        // The request line counts too.
        #expect(screen([("Host", "s")], target: "/" + String(repeating: "a", count: 2100), limits: limits) == .headTooLarge)
    }
}
