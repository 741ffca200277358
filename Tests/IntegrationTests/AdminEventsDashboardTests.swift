import CatalogCacheCore
import CatalogCacheProxy
import Foundation
import Testing

/// The admin port's dashboard lists the live admin events, rendered by headless chromium.
@Suite(.enabled(if: TestServices.enabled), .serialized)
struct AdminEventsDashboardTests {
    @Test func aWriteThroughTheProxyIsListedOnTheDashboard() async throws {
        try await withStack(triggers: true) { stack in
            let proxy = try await stack.startProxy(try stack.configuration())
            let id = try #require(try await stack.sql("SELECT id FROM hero_banner WHERE is_active ORDER BY sort_order, id LIMIT 1").scalar)
            #expect(try await proxy.request(.PATCH, "/admin/hero-banners/\(id)", body: #"{"title":"On the dashboard"}"#).head.status == .ok)
            #expect(await eventually { proxy.metrics.edge.eventsPublished.count >= 1 })
            let newest = try #require(proxy.service.adminEvents?.recent(1).first)
            #expect(newest.event.name == "banner.updated")

            let dom = try await DashboardBrowserTests.renderedDOM("http://127.0.0.1:\(proxy.service.adminPort)/")
            let rows = dom.matches(of: /data-event-id="([^"]+)" data-event="([^"]+)"/).map { (String($0.1), String($0.2)) }
            #expect(rows.first?.0 == newest.id, "newest first: \(rows)")
            #expect(rows.contains { $0.1 == "banner.updated" })
            #expect(dom.contains(id), "the event's data (the banner id) is on the page")
        }
    }
}
