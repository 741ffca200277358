import Foundation
import CatalogCacheCore

/// The summary `check-config` prints: every stored field of `ConfigurationSchema` with its
/// effective value (credentials shown only as set or unset), then each table's and route's
/// rules in full.
public enum EffectiveConfigurationReport {
    public static func render(_ c: ProxyConfiguration) -> String {
        let shown = ConfigurationSchema.fields.filter { $0.render != nil }
        let width = (shown.map(\.path.count).max() ?? 0) + 2
        var lines: [String] = []
        for field in shown {
            guard let render = field.render else { continue }
            let value = render(c)
            let text = field.isSecret ? (value == "unset" ? "unset" : "set (hidden)") : value
            lines.append(field.path.padding(toLength: width, withPad: " ", startingAt: 0) + text)
        }
        lines.append("invalidation tables:")
        lines += tableLines(c)
        lines.append("routes:")
        lines += routeLines(c)
        return lines.joined(separator: "\n")
    }

    private static func tableLines(_ c: ProxyConfiguration) -> [String] {
        var lines: [String] = []
        for table in c.tables {
            let targets = (table.mapping.tags.map { "tag \($0)" } + table.mapping.keys.map { "key \($0)" }).joined(separator: ", ")
            let ids = "id column \(table.idColumn)" + (table.idQuery != nil ? ", resolved by id_query" : "")
            if table.mapping.changes.isEmpty {
                lines.append("  table \(table.name) (\(ids)) -> \(targets)")
                continue
            }
            lines.append("  table \(table.name) (\(ids)):")
            for rule in table.mapping.changes {
                let what = (rule.operations.map(\.rawValue) + rule.columns).joined(separator: ", ")
                let drops = (rule.tags.map { "tag \($0)" } + rule.keys.map { "key \($0)" }).joined(separator: ", ")
                lines.append("      \(what) -> \(drops)")
            }
            lines.append("      any other change -> \(targets)")
        }
        return lines
    }

    private static func routeLines(_ c: ProxyConfiguration) -> [String] {
        var lines: [String] = []
        for rule in c.routes {
            if rule.mode == .origin {
                var line = "  \(rule.name): \(rule.pattern) -> origin-controlled (RFC 9111: the upstream's headers decide), kept at most \(rule.ttl)s"
                if !rule.tags.isEmpty { line += "  tags \(rule.tags.joined(separator: ","))" }
                lines.append(line)
                continue
            }
            var line = "  \(rule.name): GET/HEAD \(rule.pattern) -> key \(c.keyPrefix)\(rule.keyTemplate)  ttl \(rule.ttl)s swr \(rule.staleWhileRevalidate)s"
            if rule.staleIfError > 0 { line += " sie \(rule.staleIfError)s" }
            if !rule.varyHeaders.isEmpty { line += "  vary \(rule.varyHeaders.joined(separator: ","))" }
            if !rule.tags.isEmpty { line += "  tags \(rule.tags.joined(separator: ","))" }
            if rule.cacheableStatuses != RouteRule.defaultCacheableStatuses { line += "  statuses \(rule.cacheableStatuses.sorted().map(String.init).joined(separator: ","))" }
            if rule.isPublic { line += "  public" }
            lines.append(line)
            if let tagging = c.entryTagging[rule.name] {
                var held: [String] = tagging.bodyIDs.map { "\($0.tag) for each \($0.member)[].\($0.field)" }
                if !tagging.filters.isEmpty { held.append("\(tagging.prefix)where:<filter>=<value> (\(tagging.filters.joined(separator: ", "))) or \(tagging.unfilteredTag)") }
                if !tagging.sortKeys.isEmpty { held.append("\(tagging.prefix)sort:<\(tagging.sortKeys.joined(separator: "|"))>") }
                if !tagging.search.isEmpty { held.append("\(tagging.searchTag) (\(tagging.search.joined(separator: ", ")))") }
                if tagging.countField != nil { held.append(tagging.countTag) }
                lines.append("      entries also tagged: \(held.joined(separator: "; "))")
            }
            lines.append("      Cache-Control: \(rule.cacheControlHeader)")
        }
        return lines
    }
}
