import CatalogCacheCore
import Testing

@testable import CatalogCacheProxy

/// The schema is what the loader, `ReloadPlan` and the report do: every integer range is the
/// loader's, every stored field reloads (or is named) as the schema says, and the report shows
/// every stored field without its credentials.
@Suite struct ConfigurationSchemaTests {
    static let route = ["name: a", "path: /x", "key: k", "ttl: 5"]

    /// A file setting the field at schema path `path` to `value` (with one route when the
    /// field is not a route's), and the path errors name it by.
    static func file(setting path: String, to value: Int) -> (yaml: String, field: String) {
        if path.hasPrefix("routes[].") {
            let key = String(path.dropFirst("routes[].".count))
            let fields = route.filter { !$0.hasPrefix("\(key):") } + ["\(key): \(value)"]
            return ("routes:\n  - " + fields.joined(separator: "\n    ") + "\n", "routes[0].\(key)")
        }
        let routes = "routes:\n  - " + route.joined(separator: "\n    ") + "\n"
        if path.hasPrefix("cdn.targets[].") {
            let key = String(path.dropFirst("cdn.targets[].".count))
            return ("cdn:\n  targets:\n    - { kind: varnish, url: \"http://127.0.0.1:1\", \(key): \(value) }\n" + routes, "cdn.targets[0].\(key)")
        }
        let parts = path.split(separator: ".")
        var yaml = ""
        for (depth, part) in parts.enumerated() {
            yaml += String(repeating: "  ", count: depth) + part + (depth == parts.count - 1 ? ": \(value)\n" : ":\n")
        }
        return (yaml + routes, path)
    }

    static var integerFields: [ConfigurationField] {
        ConfigurationSchema.fields.filter { if case .integer = $0.type { return true } else { return false } }
    }

    @Test func theLoaderRefusesExactlyTheValuesOutsideEachSchemaRange() throws {
        #expect(Self.integerFields.count >= 40)
        for field in Self.integerFields {
            for outside in [field.range.lowerBound - 1, field.range.upperBound + 1] {
                let (yaml, name) = Self.file(setting: field.path, to: outside)
                do {
                    _ = try ConfigurationLoader.parse(yaml: yaml)
                    Issue.record("\(field.path) accepted \(outside), outside \(field.range)")
                } catch {
                    #expect(error.field == name && error.message.contains("between \(field.range.lowerBound) and \(field.range.upperBound)"), "\(field.path) = \(outside): \(error)")
                }
            }
            for inside in [field.range.lowerBound, field.range.upperBound] {
                let (yaml, name) = Self.file(setting: field.path, to: inside)
                do {
                    _ = try ConfigurationLoader.parse(yaml: yaml)
                } catch where error.field == name && error.message.contains("between") {
                    Issue.record("\(field.path) refused \(inside), inside \(field.range): \(error)")
                } catch {
                    // Another rule (max_header_field_bytes <= max_request_head_bytes, ...) may refuse a bound.
                }
            }
        }
    }

    @Test func aRouteTimeIsBoundedByRouteRuleAlone() throws {
        let ttl = try #require(ConfigurationSchema.field("routes[].ttl"))
        #expect(ttl.range.upperBound == RouteRule.maximumSeconds)
        let accepted = try ConfigurationLoader.parse(yaml: Self.file(setting: "routes[].stale_if_error", to: RouteRule.maximumSeconds).yaml)
        #expect(accepted.routes[0].staleIfError == RouteRule.maximumSeconds)
        #expect(throws: RouteError.self) { try RouteRule(name: "r", path: "/a", key: "a", ttl: 1, staleIfError: RouteRule.maximumSeconds + 1) }
    }

    @Test func everyStoredDefaultIsInsideItsRange() {
        let defaults = ProxyConfiguration()
        for field in Self.integerFields {
            guard let render = field.render, let value = Int(render(defaults)) else { continue }
            #expect(field.range.contains(value), "\(field.path): default \(value) outside \(field.range)")
        }
    }

    /// For each stored integer field: a file changing only it either reloads it (and nothing
    /// is kept) or keeps the running value and names it.
    @Test func aReloadAppliesOrNamesEachFieldAsTheSchemaSays() throws {
        let running = try ConfigurationLoader.parse(yaml: Self.file(setting: "threads", to: 0).yaml)
        var checked = 0
        for field in Self.integerFields where field.copy != nil {
            guard let render = field.render, let current = Int(render(running)) else { continue }
            let changed = field.range.contains(current + 1) ? current + 1 : current - 1
            let loaded = try ConfigurationLoader.parse(yaml: Self.file(setting: field.path, to: changed).yaml)
            let plan = ReloadPlan(running: running, loaded: loaded)
            switch field.reload {
            case .applied:
                #expect(render(plan.effective) == "\(changed)" && plan.keptForRestart.isEmpty, "\(field.path): \(plan.keptForRestart)")
            case .restart:
                #expect(render(plan.effective) == "\(current)" && plan.keptForRestart == [field.path], "\(field.path): \(plan.keptForRestart)")
            }
            checked += 1
        }
        #expect(checked >= 35)
    }

    @Test func aReloadCarriesEntryTagsWithTheRoutes() throws {
        func config(_ filters: String) throws -> ProxyConfiguration {
            try ConfigurationLoader.parse(yaml: "routes:\n  - " + (Self.route + ["entry_tags: { filters: [\(filters)] }"]).joined(separator: "\n    ") + "\n")
        }
        let plan = ReloadPlan(running: try config("category_id"), loaded: try config("category_id, collection_id"))
        #expect(plan.effective.entryTagging["a"]?.filters == ["category_id", "collection_id"])
        #expect(plan.keptForRestart.isEmpty)
    }

    @Test func aReloadNamesAChangedSettingOutsideTheOldList() throws {
        let running = try ConfigurationLoader.parse(yaml: Self.file(setting: "threads", to: 0).yaml)
        let loaded = try ConfigurationLoader.parse(yaml: Self.file(setting: "admin.max_connections", to: 7).yaml)
        let plan = ReloadPlan(running: running, loaded: loaded)
        #expect(plan.effective.adminMaxConnections == 128)
        #expect(plan.keptForRestart == ["admin.max_connections"])
    }

    @Test func theReportShowsEveryStoredFieldButNoCredential() throws {
        let yaml = """
        admin:
          token: correct-horse-battery-staple
        store:
          redis_url: "redis://cache:hunter2hunter2@127.0.0.1:6379/0"
          redis_sentinel_password: sentinel-secret
        invalidation:
          database_url: "postgres://app:pg-secret@127.0.0.1/catalog"
        """ + "\n" + Self.file(setting: "threads", to: 3).yaml
        let report = EffectiveConfigurationReport.render(try ConfigurationLoader.parse(yaml: yaml))
        let lines = report.split(separator: "\n")
        for field in ConfigurationSchema.fields where field.render != nil {
            #expect(lines.contains { $0.hasPrefix(field.path + " ") }, "\(field.path) missing from the report")
        }
        for secret in ["correct-horse", "hunter2", "sentinel-secret", "pg-secret"] { #expect(!report.contains(secret), "\(secret) shown") }
        #expect(report.contains("redis://cache:***@127.0.0.1:6379/0"))
        #expect(report.contains("postgres://app:***@127.0.0.1/catalog"))
        #expect(lines.contains { $0.hasPrefix("admin.token ") && $0.hasSuffix("set (hidden)") })
        #expect(lines.contains { $0.hasPrefix("threads ") && $0.hasSuffix(" 3") })
    }

    @Test(arguments: [
        ("redis://u:p@h:1/0", "redis://u:***@h:1/0"),
        ("redis://:p@h:1", "redis://:***@h:1"),
        ("redis-sentinel://u:p@s1:1,s2:2/mymaster", "redis-sentinel://u:***@s1:1,s2:2/mymaster"),
        ("redis://h:1", "redis://h:1"),
        ("http://h/a@b", "http://h/a@b"),
    ])
    func passwordsInURLsAreHidden(url: String, shown: String) {
        #expect(ConfigurationField.redactingPassword(url) == shown)
    }
}
