import CatalogCacheCore
import Foundation
import Yams

/// The `routes` list: each route's fields, ranges and what its entries are tagged with.
extension NodeReader {
    /// `query: {allow: [...]}` or `query: {ignore: [...]}` (one of them).
    func queryFilter(_ node: Node, _ field: String) throws(ConfigurationError) -> QueryParameterFilter {
        let pairs = try mapping(node, field)
        guard pairs.count == 1, let (kind, list) = pairs.first else { throw fail(node, field, "needs exactly one of allow or ignore") }
        let patterns = try strings(list, "\(field).\(kind)")
        for pattern in patterns where !QueryParameterFilter.isValidPattern(pattern) {
            throw fail(list, "\(field).\(kind)", "\"\(pattern)\" is not a parameter name or a prefix ending in *")
        }
        if kind == "allow" { return .allow(patterns) }
        if patterns.isEmpty { throw fail(list, "\(field).ignore", "must name at least one parameter") }
        return .ignore(patterns)
    }

    func routesAndTagging(_ node: Node) throws(ConfigurationError) -> (rules: [RouteRule], tagging: [String: EntryTagging]) {
        guard let sequence = node.sequence else { throw fail(node, "routes", "must be a list of routes") }
        if sequence.count == 0 { throw fail(node, "routes", "needs at least one route") }
        var rules: [RouteRule] = []
        var tagging: [String: EntryTagging] = [:]
        var names = Set<String>()
        for (index, item) in sequence.enumerated() {
            let field = "routes[\(index)]"
            var name: String?, path: String?, key: String?
            var ttl: Int?, swr = 0, sie = 0
            var vary: [String] = [], tags: [String] = [], statuses = RouteRule.defaultCacheableStatuses
            var isPublic = false
            var cacheControl: String?
            var mode = RouteMode.configured
            var queryFilter = QueryParameterFilter.all
            var entryTags: Node?
            let fields = try mapping(item, field)
            for (k, v) in fields {
                let f = "\(field).\(k)"
                switch k {
                case "name": name = try string(v, f)
                case "path": path = try string(v, f)
                case "key": key = try string(v, f)
                case "ttl": ttl = try int(v, f)
                case "stale_while_revalidate": swr = try int(v, f)
                case "stale_if_error": sie = try int(v, f)
                case "vary": vary = try strings(v, f).map { $0.lowercased() }
                case "tags": tags = try strings(v, f)
                case "cacheable_statuses":
                    guard let seq = v.sequence else { throw fail(v, f, "must be a list of status codes") }
                    statuses = []
                    for (i, s) in seq.enumerated() { statuses.insert(try int(s, "\(f)[\(i)]", RouteRule.cacheableStatusRange)) }
                case "public": isPublic = try bool(v, f)
                case "cache_control": cacheControl = try string(v, f)
                case "query": queryFilter = try self.queryFilter(v, f)
                case "mode":
                    let text = try string(v, f)
                    guard let parsed = RouteMode(rawValue: text) else {
                        throw fail(v, f, "must be one of \(RouteMode.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(text)\"")
                    }
                    mode = parsed
                case "entry_tags": entryTags = v
                default: break
                }
            }
            if mode == .origin {
                // The origin's headers decide: the route's own caching fields would be ignored,
                // so they are refused rather than silently dropped.
                for (k, v) in fields where !ConfigurationSchema.originRouteKeys.contains(k) {
                    throw fail(v, "\(field).\(k)", "does not apply to a route with mode: origin (the upstream's Cache-Control decides)")
                }
                key = "{hash}"
                ttl = ttl ?? ConfigurationSchema.originRouteDefaultTTL
            }
            guard let name else { throw fail(item, "\(field).name", "is required") }
            guard let path else { throw fail(item, "\(field).path", "is required") }
            guard let key else { throw fail(item, "\(field).key", "is required") }
            guard let ttl else { throw fail(item, "\(field).ttl", "is required (seconds)") }
            guard names.insert(name).inserted else { throw fail(item, "\(field).name", "\"\(name)\" is used by another route") }
            for header in vary where !ConfigurationValidation.isHeaderName(header) {
                throw fail(item, "\(field).vary", "\"\(header)\" is not a header name")
            }
            if let entryTags {
                tagging[name] = try self.entryTagging(entryTags, "\(field).entry_tags", prefix: name + ":")
            }
            do {
                let pattern = try PathPattern(path)
                let template = try KeyTemplate(key)
                rules.append(try RouteRule(
                    name: name, pattern: pattern, keyTemplate: template, ttl: ttl,
                    staleWhileRevalidate: swr, staleIfError: sie, varyHeaders: vary, tags: tags,
                    cacheableStatuses: statuses, isPublic: isPublic, cacheControl: cacheControl, mode: mode,
                    queryFilter: queryFilter
                ))
            } catch {
                throw fail(item, field, "\(error)")
            }
        }
        return (rules, tagging)
    }
}
