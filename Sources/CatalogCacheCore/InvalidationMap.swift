/// Maps invalidation events to the tags and keys they invalidate.
///
/// For a row event of a configured table, every template without `{id}` is included once,
/// and every template with `{id}` once per id (`product:{id}` with ids `a`, `b` gives
/// `product:a`, `product:b`). An event without ids (truncate, statement-level triggers) only
/// resolves the fixed templates, so each table should map to at least one fixed tag (such as
/// `products`) that every entry built from it carries. Unknown tables resolve to nothing;
/// explicit events resolve to exactly their keys and tags; tokens resolve to nothing.
/// A table with precise rules (`TableMapping.changes`) resolves a row event by the rules its
/// operation and changed columns select, and by the coarse rule when they cannot decide.
public struct InvalidationMap: Sendable, Equatable {
    private static let idPlaceholder = "{id}"

    public let tables: [String: TableMapping]

    public init(tables: [String: TableMapping]) {
        self.tables = tables
    }

    public func resolve(_ event: InvalidationEvent) -> InvalidationSet {
        switch event {
        case .row(let table, let op, let ids, _, let change):
            guard let mapping = tables[table] else { return InvalidationSet() }
            if !ids.isEmpty, let rules = mapping.rules(for: op, change: change),
               let precise = InvalidationMap.precise(rules, ids: ids, values: change?.values ?? [:]) {
                return precise
            }
            return InvalidationSet(
                tags: InvalidationMap.expand(mapping.tags, ids: ids),
                keys: InvalidationMap.expand(mapping.keys, ids: ids)
            )
        case .explicit(let keys, let tags):
            return InvalidationSet(tags: Set(tags), keys: Set(keys))
        case .token:
            return InvalidationSet()
        }
    }

    /// Every fixed tag (template without `{id}`) of every table: dropping them all after a
    /// lost notification connection invalidates every entry that carries one.
    public var allTags: Set<String> {
        var result: Set<String> = []
        for mapping in tables.values {
            for tag in mapping.tags where !tag.contains(InvalidationMap.idPlaceholder) {
                result.insert(tag)
            }
        }
        return result
    }

    /// The union of the rules' templates, or nil when a value a template needs is unknown.
    static func precise(_ rules: [ChangeRule], ids: [String], values: [String: [String]]) -> InvalidationSet? {
        var set = InvalidationSet()
        for rule in rules {
            for template in rule.tags {
                guard let tags = ChangeRule.expand(template, ids: ids, values: values) else { return nil }
                set.tags.formUnion(tags)
            }
            for template in rule.keys {
                guard let keys = ChangeRule.expand(template, ids: ids, values: values) else { return nil }
                set.keys.formUnion(keys)
            }
            guard let column = rule.rangeColumn, !rule.rangeScopes.isEmpty else { continue }
            guard let sortValues = values[column], !sortValues.isEmpty else { return nil }
            for template in rule.rangeScopes {
                guard let scopes = ChangeRule.expand(template, ids: ids, values: values) else { return nil }
                for scope in scopes {
                    guard let places = SortRange.dropTags(scope: scope, values: sortValues, order: rule.rangeOrder) else { return nil }
                    set.tags.insert(scope)
                    set.tags.formUnion(places)
                }
            }
        }
        return set
    }

    private static func expand(_ templates: [String], ids: [String]) -> Set<String> {
        var result: Set<String> = []
        for template in templates {
            if template.contains(idPlaceholder) {
                for id in ids { result.insert(template.replacingPlaceholder(idPlaceholder, with: id)) }
            } else {
                result.insert(template)
            }
        }
        return result
    }
}

extension String {
    /// `self` with every occurrence of `placeholder` replaced by `value`, without Foundation.
    fileprivate func replacingPlaceholder(_ placeholder: String, with value: String) -> String {
        var result = ""
        var rest = self[...]
        while let range = rest.firstRange(of: placeholder) {
            result += rest[..<range.lowerBound]
            result += value
            rest = rest[range.upperBound...]
        }
        result += rest
        return result
    }
}
