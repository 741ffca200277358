import CatalogCacheCore

/// The `admin_events` section: `GET /admin/events` on the proxy port.
public struct AdminEventsConfiguration: Sendable, Equatable {
    public var enabled = true
    /// The upstream path asked, with the subscriber's `Authorization` and `Cookie`, whether
    /// the subscriber is an admin (2xx: yes).
    public var authorizationPath = "/admin/users/me"
    /// How often an open stream's credentials are checked again.
    public var recheckSeconds = 300
    public var heartbeatSeconds = 15
    public var maxSubscribers = 1000
    /// Events written to a subscriber and not yet taken by its socket; beyond it the
    /// subscriber is dropped.
    public var subscriberBufferEvents = 256
    /// Recent events kept for `Last-Event-ID`.
    public var replayEvents = 1024
    /// Table to event name; tables not named send no event.
    public var tables: [String: String] = [
        "hero_banner": "banner.updated",
        "product": "product.updated",
        "order": "order.updated",
    ]

    public init() {}
}

extension ProxyConfiguration {
    /// The tables `install-triggers` watches: the invalidation's, and those only admin events
    /// name (such as `order`, which no cached route shows), by their `id` column.
    public var triggerTables: [InvalidatedTable] {
        var result = tables
        guard adminEvents.enabled else { return result }
        for name in adminEvents.tables.keys.sorted() where !tables.contains(where: { $0.name == name }) {
            result.append(InvalidatedTable(name: name, idColumn: "id", mapping: TableMapping(tags: [], keys: [])))
        }
        return result
    }
}
