import CatalogCacheCore

/// The human-readable summary `check-config` prints.
public enum EffectiveConfigurationReport {
    public static func render(_ c: ProxyConfiguration) -> String {
        var lines: [String] = []
        lines.append("listen        \(c.listen)")
        lines.append("admin_listen  \(c.adminListen)")
        lines.append("upstream      \(c.upstreamURL)  (connect \(c.upstreamConnectTimeoutMilliseconds) ms, read \(c.upstreamReadTimeoutMilliseconds) ms, total \(c.upstreamTotalTimeoutMilliseconds) ms)")
        lines.append("store         \(c.redisURL.map { "redis \($0)" } ?? "in-process, \(c.memoryStoreMaxBytes) bytes (no Redis URL)")  prefix \"\(c.keyPrefix)\"")
        lines.append("hot tier      \(c.hotTierBytes > 0 ? "\(c.hotTierBytes) bytes" : "off")  identity bodies \(c.identityCacheBytes > 0 ? "\(c.identityCacheBytes) bytes" : "off")  fill lock \(c.fillLockMilliseconds > 0 && c.redisURL != nil ? "\(c.fillLockMilliseconds) ms" : "off")  threads \(c.threads == 0 ? "one per core" : String(c.threads))")
        lines.append("compression   gzip at >= \(c.compressionThresholdBytes) bytes, level \(c.compressionLevel)")
        lines.append("invalidation  \(c.databaseURL.map { "LISTEN \(c.notifyChannel) on \($0)" } ?? "none (no database URL): TTLs only")")
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
        lines.append("routes:")
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
            if rule.cacheableStatuses != [200] { line += "  statuses \(rule.cacheableStatuses.sorted().map(String.init).joined(separator: ","))" }
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
        return lines.joined(separator: "\n")
    }
}
