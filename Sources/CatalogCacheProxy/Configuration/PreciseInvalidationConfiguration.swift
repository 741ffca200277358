import CatalogCacheCore
import Yams

/// The configuration of precise invalidation: a route's `entry_tags` (what its entries hold)
/// and a table's `changes` (what each kind of change to it can affect).
extension NodeReader {
    /// `entry_tags: {ids: [{member, field, tag}], filters, sort: {parameter, keys, default, ranges},
    /// search, paging, ignored, count}`; the dimension tags are prefixed with the route's name.
    func entryTagging(_ node: Node, _ field: String, prefix: String) throws(ConfigurationError) -> EntryTagging {
        var tagging = EntryTagging(prefix: prefix)
        for (key, value) in try mapping(node, field) {
            let f = "\(field).\(key)"
            switch key {
            case "ids":
                guard let sequence = value.sequence else { throw fail(value, f, "must be a list of {member, field, tag}") }
                for (i, item) in sequence.enumerated() {
                    var spec = EntryTagging.BodyIDs(member: "", tag: "")
                    for (k, v) in try mapping(item, "\(f)[\(i)]") {
                        switch k {
                        case "member": spec.member = try string(v, "\(f)[\(i)].member")
                        case "field": spec.field = try string(v, "\(f)[\(i)].field")
                        default: spec.tag = try string(v, "\(f)[\(i)].tag")
                        }
                    }
                    guard !spec.member.isEmpty else { throw fail(item, "\(f)[\(i)].member", "is required: the top-level member holding the rows") }
                    guard spec.tag.contains("{id}") else { throw fail(item, "\(f)[\(i)].tag", "must contain {id}") }
                    tagging.bodyIDs.append(spec)
                }
            case "filters": tagging.filters = try strings(value, f)
            case "search": tagging.search = try strings(value, f)
            case "paging": tagging.paging = try strings(value, f)
            case "ignored": tagging.ignored = try strings(value, f)
            case "count": tagging.countField = try string(value, f)
            case "sort":
                for (k, v) in try mapping(value, f) {
                    switch k {
                    case "parameter": tagging.sortParameter = try string(v, "\(f).parameter")
                    case "keys": tagging.sortKeys = try strings(v, "\(f).keys")
                    case "not_placed_with": tagging.notPlacedWith = try strings(v, "\(f).not_placed_with")
                    case "ranges":
                        guard let ranges = v.mapping else { throw fail(v, "\(f).ranges", "must be a mapping of sort key to row field") }
                        for (keyNode, rangeNode) in ranges {
                            guard let key = keyNode.string else { throw fail(keyNode, "\(f).ranges", "keys must be strings") }
                            tagging.sortRanges[key] = try rangeField(rangeNode, "\(f).ranges.\(key)")
                        }
                    default: tagging.defaultSort = try string(v, "\(f).default")
                    }
                }
                if let sort = tagging.defaultSort, !tagging.sortKeys.contains(sort) {
                    throw fail(value, "\(f).default", "must be one of keys (\(tagging.sortKeys.joined(separator: ", ")))")
                }
                for key in tagging.sortRanges.keys.sorted() where !tagging.sortKeys.contains(key) {
                    throw fail(value, "\(f).ranges", "\"\(key)\" must be one of keys (\(tagging.sortKeys.joined(separator: ", ")))")
                }
            default: break
            }
        }
        if !tagging.sortRanges.isEmpty && tagging.bodyIDs.isEmpty {
            throw fail(node, "\(field).sort.ranges", "needs ids: the values are read from the rows of the first ids member")
        }
        return tagging
    }

    /// A ranged sort key's row field: `title` (text in byte order), or `{field, order}` with
    /// `order` one of `bytes`, `integer`.
    private func rangeField(_ node: Node, _ field: String) throws(ConfigurationError) -> EntryTagging.RangeField {
        if node.scalar != nil { return EntryTagging.RangeField(field: try string(node, field)) }
        guard let pairs = node.mapping else { throw fail(node, field, "must be a row field, or {field, order}") }
        var range = EntryTagging.RangeField(field: "")
        for (keyNode, value) in pairs {
            switch keyNode.string {
            case "field": range.field = try string(value, "\(field).field")
            case "order": range.order = try order(value, "\(field).order")
            default: throw fail(keyNode, field, "takes field and order only")
            }
        }
        guard !range.field.isEmpty else { throw fail(node, "\(field).field", "is required") }
        return range
    }

    private func order(_ node: Node, _ field: String) throws(ConfigurationError) -> SortRange.Order {
        let text = try string(node, field)
        guard let order = SortRange.Order(rawValue: text) else {
            throw fail(node, field, "must be one of \(SortRange.Order.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(text)\"")
        }
        return order
    }

    /// `changes: [{columns: [...], on: [INSERT, DELETE], tags: [...], keys: [...],
    /// ranges: {column, order, tags}}]`.
    func changeRules(_ node: Node, _ field: String) throws(ConfigurationError) -> [ChangeRule] {
        guard let sequence = node.sequence else { throw fail(node, field, "must be a list of {columns, on, tags, keys}") }
        var rules: [ChangeRule] = []
        for (i, item) in sequence.enumerated() {
            let f = "\(field)[\(i)]"
            var rule = ChangeRule()
            for (k, v) in try mapping(item, f, section: "invalidation.tables.*.changes[]") {
                switch k {
                case "columns":
                    rule.columns = try strings(v, "\(f).columns")
                    for column in rule.columns where !ConfigurationValidation.isIdentifier(column) {
                        throw fail(v, "\(f).columns", "\"\(column)\" is not an SQL identifier")
                    }
                case "on":
                    for text in try strings(v, "\(f).on") {
                        guard let op = RowOperation(rawValue: text.uppercased()), op == .insert || op == .delete else {
                            throw fail(v, "\(f).on", "must list INSERT and/or DELETE (an UPDATE is described by its columns), got \"\(text)\"")
                        }
                        rule.operations.append(op)
                    }
                case "tags": rule.tags = try strings(v, "\(f).tags")
                case "ranges":
                    for (rk, rv) in try mapping(v, "\(f).ranges", section: "invalidation.tables.*.changes[].ranges") {
                        switch rk {
                        case "column": rule.rangeColumn = try string(rv, "\(f).ranges.column")
                        case "order": rule.rangeOrder = try order(rv, "\(f).ranges.order")
                        default: rule.rangeScopes = try strings(rv, "\(f).ranges.tags")
                        }
                    }
                    guard let column = rule.rangeColumn, ConfigurationValidation.isIdentifier(column), !rule.rangeScopes.isEmpty else {
                        throw fail(v, "\(f).ranges", "needs column (an SQL identifier) and tags (the range scopes it drops)")
                    }
                    for scope in rule.rangeScopes where scope.contains("@") {
                        throw fail(v, "\(f).ranges.tags", "\"\(scope)\": a range scope must not contain @")
                    }
                default: rule.keys = try strings(v, "\(f).keys")
                }
            }
            if rule.columns.isEmpty && rule.operations.isEmpty { throw fail(item, f, "needs columns or on") }
            for template in rule.tags + rule.keys + rule.rangeScopes where template.contains("{") && (ChangeRule.placeholder(template) == nil || template.filter({ $0 == "{" }).count > 1) {
                throw fail(item, f, "\"\(template)\": one placeholder at most, {id} or {column}")
            }
            for column in rule.valueColumns where !ConfigurationValidation.isIdentifier(column) {
                throw fail(item, f, "{\(column)} must name a column (an SQL identifier)")
            }
            rules.append(rule)
        }
        return rules
    }
}

extension ProxyConfiguration {
    /// The places routes give their lists (`entry_tags.sort.ranges`) that no table's change
    /// rule drops: for each ranged key, the scope `all` (unfiltered lists) and each filter not
    /// in `not_placed_with` must be named by some rule's `ranges.tags` (`<route>:range:<key>:all`,
    /// `<route>:range:<key>:<filter>=...`) with the key's order. Else a page placed in that
    /// scope would carry no tag a change of its sort column drops; such a file is refused, and
    /// a reload does not place such pages.
    public var unmatchedSortRanges: [(route: String, key: String, scope: String)] {
        let scopes = tables.flatMap { $0.mapping.changes.flatMap { rule in rule.rangeScopes.map { (scope: $0, order: rule.rangeOrder) } } }
        return entryTagging.sorted { $0.key < $1.key }.flatMap { route, tagging in
            let placedScopes = ["all"] + tagging.filters.filter { !tagging.notPlacedWith.contains($0) }.map { $0 + "=" }
            return tagging.sortRanges.keys.sorted().flatMap { key in
                placedScopes.filter { scope in
                    let prefix = tagging.prefix + "range:" + key + ":" + scope
                    return !scopes.contains { $0.scope.hasPrefix(prefix) && $0.order == tagging.sortRanges[key]!.order }
                }.map { (route: route, key: key, scope: $0) }
            }
        }
    }
}
