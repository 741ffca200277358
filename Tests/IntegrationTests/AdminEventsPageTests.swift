import CatalogCacheProxy
import CatalogHTTP
import CatalogTestSupport
import Foundation
import NIOConcurrencyHelpers
import NIOHTTP1
import Testing

/// The admin page of `docs/cdn-and-events.md`, as printed there, open in headless Chromium: a
/// write through the proxy while it is open shows on it without a reload.
@Suite(.enabled(if: TestServices.enabled), .serialized)
struct AdminEventsPageTests {
    /// The page's HTML block from the docs (the one example that reads `/admin/events`).
    static func documentedPage() throws -> String {
        let docs = try String(contentsOf: TestServices.packageRoot.appendingPathComponent("docs/cdn-and-events.md"), encoding: .utf8)
        let blocks = docs.components(separatedBy: "```html\n").dropFirst().map { $0.components(separatedBy: "\n```")[0] }
        return try #require(blocks.first { $0.contains("/admin/events") }, "no admin page example in docs/cdn-and-events.md")
    }

    /// Holds the page's load event (an image it waits for) until the page reports, from its
    /// own DOM, that `title` is shown, or 30 s passed: Chromium prints the DOM once loaded.
    final class LoadGate: HTTPResponder {
        private let shown = NIOLockedValueBox(false)

        func respond(to request: HTTPServerRequest) async -> HTTPServerResponse {
            if request.path == "/shown" {
                shown.withLockedValue { $0 = true }
            } else {
                for _ in 0..<300 where !shown.withLockedValue({ $0 }) { try? await Task.sleep(for: .milliseconds(100)) }
            }
            return HTTPServerResponse(status: .noContent)
        }
    }

    @Test func aWriteMadeWhileTheDocumentedAdminPageIsOpenAppearsOnItWithoutAReload() async throws {
        let binary = try #require(DashboardBrowserTests.chromium, "chromium is not installed: run scripts/bootstrap")
        try await withStack(triggers: true) { stack in
            let proxy = try await stack.startProxy(try stack.configuration())
            let id = try #require(try await stack.sql("SELECT id FROM hero_banner WHERE is_active ORDER BY sort_order, id LIMIT 1").scalar)
            let title = "Shown live \(UInt32.random(in: 0...UInt32.max))"
            let gate = try await HTTPServer.start(host: "127.0.0.1", port: 0, group: TestServices.group, responder: LoadGate())
            let token = stack.adminToken

            // The documented page as is, its relative URLs resolved against the proxy, the
            // token where the docs read it; then the test's watch for the new title.
            let page = try Self.documentedPage().replacingOccurrences(of: #"sessionStorage.getItem("admin_token")"#, with: "\"\(token)\"")
            let html = """
            <!doctype html><html><head><base href="http://127.0.0.1:\(proxy.service.proxyPort)/"></head><body>
            \(page)
            <script>
            new MutationObserver(() => {
              if (document.getElementById("banners").textContent.includes(\(String(reflecting: title)))) fetch("http://127.0.0.1:\(gate.localPort)/shown");
            }).observe(document.getElementById("banners"), { childList: true, subtree: true });
            </script>
            <img src="http://127.0.0.1:\(gate.localPort)/hold">
            </body></html>
            """
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("cc-admin-page-\(UUID().uuidString).html")
            try html.write(to: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: file) }

            let profile = FileManager.default.temporaryDirectory.appendingPathComponent("cc-chromium-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: profile) }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            // A page from file:// reading another origin: the proxy sends no CORS headers.
            process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=\(profile.path)",
                                 "--disable-web-security", "--dump-dom", file.absoluteString]
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            let dom = Task { try await offThePool { String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) } }

            // The page is open and listening: the write happens now, not before it loaded.
            #expect(await eventually(seconds: 30) { proxy.service.adminEvents?.subscriberCount == 1 })
            let firstList = try await proxy.get("/store/hero-banners").text
            #expect(!firstList.contains(title))
            #expect(try await proxy.request(.PATCH, "/admin/hero-banners/\(id)", body: "{\"title\":\"\(title)\"}").head.status == .ok)

            let rendered = try await dom.value
            process.waitUntilExit()
            try await gate.shutdown()
            #expect(rendered.contains("<li>\(title)</li>"), "the page did not show the write: \(rendered.prefix(2000))")
            #expect(proxy.metrics.edge.eventsSent.count >= 1)
        }
    }
}
