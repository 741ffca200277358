import CatalogCacheCore
import Yams

/// The structured parts of the `cdn` and `admin_events` sections (their scalar fields are
/// read through `ConfigurationSchema`).
extension NodeReader {
    /// `cdn.targets`: names unique.
    func purgeTargets(_ node: Node, _ field: String) throws(ConfigurationError) -> [PurgeTargetConfiguration] {
        guard let sequence = node.sequence else { throw fail(node, field, "must be a list of purge targets") }
        var targets: [PurgeTargetConfiguration] = []
        var names = Set<String>()
        for (index, item) in sequence.enumerated() {
            let target = try purgeTarget(item, "\(field)[\(index)]")
            guard names.insert(target.name).inserted else { throw fail(item, "\(field)[\(index)].name", "\"\(target.name)\" is used by another target") }
            targets.append(target)
        }
        return targets
    }

    private func purgeTarget(_ node: Node, _ field: String) throws(ConfigurationError) -> PurgeTargetConfiguration {
        let fields = try mapping(node, field)
        var values: [String: Node] = [:]
        for (key, value) in fields { values[key] = value }
        guard let kindNode = values["kind"] else { throw fail(node, "\(field).kind", "is required (one of \(PurgeProviderKind.allCases.map(\.rawValue).joined(separator: ", ")))") }
        let kindText = try string(kindNode, "\(field).kind")
        guard let kind = PurgeProviderKind(rawValue: kindText) else {
            throw fail(kindNode, "\(field).kind", "must be one of \(PurgeProviderKind.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(kindText)\"")
        }
        let defaultURL: String? = switch kind {
        case .fastly: "https://api.fastly.com"
        case .cloudflare: "https://api.cloudflare.com/client/v4"
        case .varnish, .http: nil
        }
        guard let url = try values["url"].map({ (n: Node) throws(ConfigurationError) in try string(n, "\(field).url") }) ?? defaultURL else {
            throw fail(node, "\(field).url", "is required for a \(kind.rawValue) target")
        }
        if let problem = ConfigurationValidation.upstreamURLProblem(url) { throw fail(values["url"] ?? node, "\(field).url", problem) }
        var target = PurgeTargetConfiguration(name: kind.rawValue, kind: kind, url: url)
        for (key, value) in fields {
            let f = "\(field).\(key)"
            switch key {
            case "name":
                target.name = try string(value, f)
                guard !target.name.isEmpty, target.name.utf8.count <= 64, target.name.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 45 || $0 == 95 }) else {
                    throw fail(value, f, "must be 1 to 64 letters, digits, '-' or '_'")
                }
            case "service_id", "zone_id":
                let expected = kind == .fastly ? "service_id" : "zone_id"
                guard key == expected else { throw fail(value, f, "does not apply to a \(kind.rawValue) target") }
                let scope = try string(value, f)
                guard !scope.isEmpty, scope.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 45 || $0 == 95 }) else {
                    throw fail(value, f, "must be letters, digits, '-' or '_'")
                }
                target.scope = scope
            case "token": target.token = try string(value, f)
            case "token_env": target.tokenEnvironment = try string(value, f)
            case "soft":
                target.soft = try bool(value, f)
                guard !target.soft || kind == .fastly || kind == .varnish else { throw fail(value, f, "soft purges exist for fastly and varnish targets only") }
            case "header":
                guard kind == .http else { throw fail(value, f, "applies to http targets only") }
                target.tagHeader = try string(value, f)
                guard ConfigurationValidation.isHeaderName(target.tagHeader) else { throw fail(value, f, "is not a header name") }
            case "max_tags_per_request": target.maxTagsPerRequest = try int(value, f, 1...kind.defaultMaxTagsPerRequest)
            case "timeout_ms": target.timeoutMilliseconds = try int(value, f)
            default: break
            }
        }
        if kind == .fastly || kind == .cloudflare {
            let scopeName = kind == .fastly ? "service_id" : "zone_id"
            if target.scope == nil { throw fail(node, "\(field).\(scopeName)", "is required for a \(kind.rawValue) target") }
            if target.token == nil && target.tokenEnvironment == nil { throw fail(node, "\(field).token_env", "a \(kind.rawValue) target needs token_env (or token)") }
        }
        return target
    }

    /// `admin_events.tables`: table name (an SQL identifier) to event name (visible ASCII).
    func eventTables(_ node: Node, _ field: String) throws(ConfigurationError) -> [String: String] {
        guard let map = node.mapping else { throw fail(node, field, "must map table names to event names") }
        var tables: [String: String] = [:]
        for (tableNode, eventNode) in map {
            guard let table = tableNode.string, ConfigurationValidation.isIdentifier(table) else { throw fail(tableNode, field, "table names must be SQL identifiers") }
            let name = try string(eventNode, "\(field).\(table)")
            guard !name.isEmpty, name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { throw fail(eventNode, "\(field).\(table)", "event names are visible ASCII without spaces") }
            tables[table] = name
        }
        return tables
    }
}
