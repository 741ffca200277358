import CatalogCacheCore
import Foundation
import Yams

/// Reads `catalog-cache.yaml` into a validated `ProxyConfiguration`.
///
/// Unknown fields are errors (a typo must not silently fall back to a default), and every
/// error names the file, the line and the field.
public enum ConfigurationLoader {
    /// Loads and validates the file at `path`.
    public static func load(path: String) throws(ConfigurationError) -> ProxyConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError(file: path, field: "", message: "cannot read the file (\(error.localizedDescription))")
        }
        return try parse(yaml: text, file: path)
    }

    /// Parses and validates YAML text. `file` only labels errors.
    public static func parse(yaml: String, file: String? = nil) throws(ConfigurationError) -> ProxyConfiguration {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw ConfigurationError(file: file, line: yamlErrorLine(error), field: "", message: "not valid YAML: \(yamlErrorProblem(error))")
        } catch {
            throw ConfigurationError(file: file, field: "", message: "not valid YAML: \(error)")
        }
        let reader = NodeReader(file: file)
        // An empty or comment-only document (a truncated file, say) is not "all defaults":
        // with no routes the proxy would cache nothing, silently.
        guard let root else { throw ConfigurationError(file: file, line: 1, field: "routes", message: "is required: the file has no configuration (empty or only comments)") }
        return try reader.configuration(root)
    }

    private static func yamlErrorLine(_ error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _): return mark.line
        default: return nil
        }
    }

    private static func yamlErrorProblem(_ error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _): return problem
        default: return "\(error)"
        }
    }
}

/// Walks the YAML tree with type checks that report the field and line.
struct NodeReader {
    let file: String?

    func fail(_ node: Node?, _ field: String, _ message: String) -> ConfigurationError {
        ConfigurationError(file: file, line: node?.mark?.line, field: field, message: message)
    }

    /// The pairs of the mapping at `field`, refusing keys the schema does not list under
    /// `section` (by default `field` with its list indexes as `[]`: `routes[2]` is `routes[]`).
    func mapping(_ node: Node, _ field: String, section: String? = nil) throws(ConfigurationError) -> [(String, Node)] {
        let allowed = ConfigurationSchema.keys(under: section ?? Self.schemaPath(field))
        precondition(!allowed.isEmpty, "the schema lists no fields under \(section ?? Self.schemaPath(field))")
        return try mapping(node, field, allowed: allowed)
    }

    private func mapping(_ node: Node, _ field: String, allowed: Set<String>) throws(ConfigurationError) -> [(String, Node)] {
        guard let map = node.mapping else { throw fail(node, field, "must be a mapping") }
        var pairs: [(String, Node)] = []
        for (key, value) in map {
            guard let name = key.string else { throw fail(key, field, "keys must be strings") }
            let path = field.isEmpty ? name : "\(field).\(name)"
            guard allowed.contains(name) else {
                throw fail(key, path, "unknown field (expected one of: \(allowed.sorted().joined(separator: ", ")))")
            }
            pairs.append((name, value))
        }
        return pairs
    }

    /// `routes[2].query` -> `routes[].query`: the schema path of a field as errors name it.
    static func schemaPath(_ field: String) -> String {
        var out = ""
        var skipping = false
        for c in field {
            if c == "[" { skipping = true; out.append("[") } else if c == "]" { skipping = false; out.append("]") } else if !skipping { out.append(c) }
        }
        return out
    }

    /// Reads every field of the section at `field` that the schema stores on its own; a
    /// required field that is absent is an error.
    func readSection(_ node: Node, _ field: String, into config: inout ProxyConfiguration) throws(ConfigurationError) {
        let pairs = try mapping(node, field)
        for (key, value) in pairs {
            let path = field.isEmpty ? key : "\(field).\(key)"
            guard let read = ConfigurationSchema.field(path)?.read else { preconditionFailure("the schema has no reader for \(path)") }
            try read(self, value, path, &config)
        }
        for required in ConfigurationSchema.fields where required.isRequired && required.parent == field && !pairs.contains(where: { $0.0 == required.key }) {
            throw fail(node, required.path, "is required")
        }
    }

    /// An integer in the range the schema gives the field (`routes[1].ttl` has `routes[].ttl`'s).
    func int(_ node: Node, _ field: String) throws(ConfigurationError) -> Int {
        let path = Self.schemaPath(field)
        guard let range = ConfigurationSchema.field(path)?.range else { preconditionFailure("the schema has no integer field \(path)") }
        return try int(node, field, range)
    }

    func string(_ node: Node, _ field: String) throws(ConfigurationError) -> String {
        guard let scalar = node.scalar else { throw fail(node, field, "must be a string") }
        return scalar.string
    }

    func optionalString(_ node: Node, _ field: String) throws(ConfigurationError) -> String? {
        if case .scalar(let s) = node, s.string == "null" || s.string == "~" || s.string.isEmpty, s.style == .plain { return nil }
        return try string(node, field)
    }

    func int(_ node: Node, _ field: String, _ range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        guard node.scalar != nil, let value = node.int else { throw fail(node, field, "must be an integer") }
        guard range.contains(value) else {
            throw fail(node, field, "must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
        }
        return value
    }

    func bool(_ node: Node, _ field: String) throws(ConfigurationError) -> Bool {
        guard node.scalar != nil, let value = node.bool else { throw fail(node, field, "must be true or false") }
        return value
    }

    func strings(_ node: Node, _ field: String) throws(ConfigurationError) -> [String] {
        guard let sequence = node.sequence else { throw fail(node, field, "must be a list") }
        var out: [String] = []
        for (i, item) in sequence.enumerated() { out.append(try string(item, "\(field)[\(i)]")) }
        return out
    }

    func listen(_ node: Node, _ field: String) throws(ConfigurationError) -> ListenAddress {
        let text = try string(node, field)
        guard let address = ListenAddress.parse(text) else { throw fail(node, field, "must be HOST:PORT, got \"\(text)\"") }
        return address
    }

    func configuration(_ root: Node) throws(ConfigurationError) -> ProxyConfiguration {
        var config = ProxyConfiguration()
        try readSection(root, "", into: &config)
        if config.listen == config.adminListen, config.listen.port != 0 {
            throw fail(root, "admin_listen", "must differ from listen (\(config.listen))")
        }
        if let unmatched = config.unmatchedSortRanges.first {
            throw fail(root, "routes[].entry_tags.sort.ranges",
                       "route \(unmatched.route) places its lists on \(unmatched.key), but no invalidation.tables rule has ranges.tags naming \(unmatched.route):range:\(unmatched.key):\(unmatched.scope)... with the same order: a change of that column would drop none of those pages (add the scope to a rule, or the filter to not_placed_with)")
        }
        return config
    }
}
