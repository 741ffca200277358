import CatalogCacheProxy
import Foundation
import Testing

/// `catalog-cache stat` against a real running proxy.
extension CommandLineTests {
    @Test func statOnceJSONPrintsTheProxysDocument() async throws {
        try await withStack(triggers: true) { stack in
            let proxy = try await stack.startProxy(try stack.configuration())
            for _ in 0..<25 { _ = try await proxy.get("/store/hero-banners") }
            _ = try await proxy.get("/store/carts/none")
            let admin = "http://127.0.0.1:\(proxy.service.adminPort)"

            let r = try await run(["stat", "--admin", admin, "--once", "--json"])
            #expect(r.status == 0, "\(r.stderr)")
            let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stdout)")
            let counters = try #require(doc["counters"] as? [String: Double])
            #expect(counters["requests.hit"] == Double(proxy.metrics.requestCount(outcome: .hit)))
            #expect(counters["requests.hit"] == 24)
            #expect(counters["requests.miss"] == 1)
            #expect(counters["requests.bypass"] == 1)
            #expect((doc["feed"] as? [String: Any])?["state"] as? String == "listening")
            #expect((doc["redis"] as? [String: Any])?["circuit"] as? String == "closed")

            // The terminal view, printed once: the same counters, by name.
            let text = try await run(["stat", "--admin", admin, "--once"])
            #expect(text.status == 0, "\(text.stderr)")
            #expect(text.stdout.contains("feed listening"))
            let hitLine = text.stdout.split(separator: "\n").first { $0.hasPrefix("requests.hit ") }
            #expect(hitLine?.split(separator: " ").dropFirst().first == "24", "\(text.stdout)")
        }
    }

    @Test func statSaysClearlyWhenTheAdminPortCannotBeReached() async throws {
        // A port nothing listens on: bind one, note it, close it.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        let port = Int(UInt16(bigEndian: address.sin_port))
        close(fd)

        let r = try await run(["stat", "--admin", "http://127.0.0.1:\(port)", "--once", "--json"])
        #expect(r.status == 1)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr == "catalog-cache: cannot read http://127.0.0.1:\(port)/stats.json: Connection refused\n")
    }
}
