import CatalogTestSupport
import CatalogCacheCore
import CatalogCacheProxy
import CatalogPostgres
import Foundation
import Testing

/// `GET /admin/events` against the reference origin's real admin login.
@Suite(.enabled(if: TestServices.enabled), .serialized)
struct AdminEventsTests {
    func firstActiveBanner(_ stack: Stack) async throws -> String {
        try #require(try await stack.sql("SELECT id FROM hero_banner WHERE is_active ORDER BY sort_order, id LIMIT 1").scalar)
    }

    func subscribe(_ proxy: RunningProxy, token: String?, lastEventID: String? = nil) async throws -> EventStream {
        var headers: [(String, String)] = []
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        if let lastEventID { headers.append(("Last-Event-ID", lastEventID)) }
        return try await EventStream.open(port: proxy.service.proxyPort, headers: headers)
    }

    /// The next event named `name` (others, such as the same write's other tables, skipped).
    func next(_ name: String, from client: EventStream) async throws -> RawHTTPClient.Event {
        for _ in 0..<50 {
            let event = try await client.next()
            if event.name == name { return event }
        }
        throw RawHTTPClient.Failure(description: "no \(name) event")
    }

    @Test func aSubscriberWithoutAdminCredentialsGetsTheUpstreamsStatus() async throws {
        try await withStack(triggers: true) { stack in
            let proxy = try await stack.startProxy(try stack.configuration())
            let anonymous = try await subscribe(proxy, token: nil)
            #expect(anonymous.status == 401)
            #expect(anonymous.body.contains("\"error\""))
            let forged = try await subscribe(proxy, token: String(repeating: "0", count: 64))
            #expect(forged.status == 401)
            #expect(proxy.metrics.edge.eventSubscriptionsRefused.count("401") == 2)
            #expect(proxy.service.adminEvents?.subscriberCount == 0)
        }
    }

    @Test func anAdminSeesAWriteThroughTheProxyAsAnEventAndReadsTheNewDataOnIt() async throws {
        try await withStack(triggers: true) { stack in
            let proxy = try await stack.startProxy(try stack.configuration())
            let client = try await subscribe(proxy, token: stack.adminToken)
            #expect(client.status == 200)
            #expect(client.headers["content-type"]?.hasPrefix("text/event-stream") == true)
            #expect(client.headers["cache-control"] == "no-store")
            let id = try await firstActiveBanner(stack)
            _ = try await proxy.get("/store/hero-banners")
            #expect(try await proxy.request(.PATCH, "/admin/hero-banners/\(id)", body: #"{"title":"Live title"}"#).head.status == .ok)
            let event = try await next("banner.updated", from: client)
            #expect(event.data == "{\"id\":\"\(id)\",\"action\":\"updated\"}")
            #expect(event.id != nil)
            // The event comes after the local drop: a refetch on it reads the new data.
            #expect(try await proxy.get("/store/hero-banners").text.contains("Live title"))

            let product = try #require(try await stack.sql("SELECT id FROM product WHERE status = 'published' ORDER BY id LIMIT 1").scalar)
            #expect(try await proxy.request(.PATCH, "/admin/products/\(product)", body: #"{"title":"Live product"}"#).head.status == .ok)
            #expect(try await next("product.updated", from: client).data == "{\"id\":\"\(product)\",\"action\":\"updated\"}")
            #expect(proxy.metrics.edge.eventsSent.count >= 2)
        }
    }

    @Test func lastEventIDResumesFromTheBufferOrResets() async throws {
        try await withStack(triggers: true) { stack in
            let proxy = try await stack.startProxy(try stack.configuration())
            let id = try await firstActiveBanner(stack)
            let first = try await subscribe(proxy, token: stack.adminToken)
            _ = try await proxy.request(.PATCH, "/admin/hero-banners/\(id)", body: #"{"title":"One"}"#)
            let seen = try await next("banner.updated", from: first)
            let lastID = try #require(seen.id)
            // While the client is away, two more writes.
            _ = try await proxy.request(.PATCH, "/admin/hero-banners/\(id)", body: #"{"title":"Two"}"#)
            _ = try await proxy.request(.PATCH, "/admin/hero-banners/\(id)", body: #"{"title":"Three"}"#)
            let watcher = try await subscribe(proxy, token: stack.adminToken)
            _ = try await proxy.request(.PATCH, "/admin/hero-banners/\(id)", body: #"{"title":"Four"}"#)
            let fourth = try await next("banner.updated", from: watcher)  // the fourth is out: two were missed

            let resumed = try await subscribe(proxy, token: stack.adminToken, lastEventID: lastID)
            var replayed: [RawHTTPClient.Event] = []
            while replayed.last?.id != fourth.id { replayed.append(try await resumed.next()) }
            let banners = replayed.filter { $0.name == "banner.updated" }
            #expect(banners.count == 3)
            #expect(replayed.first?.name != "reset")

            let lost = try await subscribe(proxy, token: stack.adminToken, lastEventID: "another-process-7")
            let reset = try await lost.next()
            #expect(reset.name == "reset")
            #expect(reset.id == fourth.id, "a reset carries the newest id, so resuming from it misses nothing")
        }
    }

    @Test func aStreamClosesOnceTheUpstreamRefusesItsCredentialsAndTheSubscriberLimitHolds() async throws {
        try await withStack(triggers: true) { stack in
            var configuration = try stack.configuration()
            configuration.adminEvents.recheckSeconds = 1
            configuration.adminEvents.maxSubscribers = 1
            let proxy = try await stack.startProxy(configuration)
            let client = try await subscribe(proxy, token: stack.adminToken)
            #expect(client.status == 200)
            let second = try await subscribe(proxy, token: stack.adminToken)
            #expect(second.status == 503)
            #expect(second.body.contains("too_many_subscribers"))
            // The admin's session ends at the origin (logout, expiry): the next check closes the stream.
            _ = try await stack.sql("DELETE FROM admin_session")
            #expect(try await client.waitUntilClosed())
            #expect(proxy.metrics.edge.eventSubscribersDropped.count("unauthorized") == 1)
            #expect(await eventually { proxy.service.adminEvents?.subscriberCount == 0 })
        }
    }

    @Test func installTriggersWatchesTablesOnlyEventsName() async throws {
        try await withStack(triggers: false) { stack in
            let configuration = try stack.configuration()
            #expect(configuration.triggerTables.map(\.name).contains("order"))
            let url = stack.databaseURL
            let report = try await offThePool {
                let connection = try PostgresConnection(url: url)
                defer { connection.close() }
                return try TriggerInstaller.install(connection: connection, tables: configuration.triggerTables, channel: configuration.notifyChannel)
            }
            #expect(report.installed.contains("order"))
        }
    }
}
