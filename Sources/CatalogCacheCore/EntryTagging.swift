/// What a route's entries hold, as tags: the ids of the rows in the body and the query
/// dimensions that decide the body's membership and order. A pure rule, configured per route
/// (`entry_tags` in the config); the invalidation mapping names the same tags.
///
/// Tags, with `prefix` (e.g. `products:`):
/// - per configured `BodyIDs`: its `tag` with `{id}` for every id in the body
///   (`product:{id}` for the `id` of each element of `products`);
/// - `<prefix>where:<param>=<value>` for every value of every filter parameter present
///   (`category_id[]` counts as `category_id`), or `<prefix>where:all` when none is present;
/// - `<prefix>sort:<key>`: the sort key (`-price` sorts by `price`), or `defaultSort`; and the
///   sort key scoped by what can reorder the list: `<prefix>sort:<key>:<param>=<value>` for
///   every filter value, or `<prefix>sort:<key>:all` when none is present (a change of a row's
///   sort column reorders only the lists whose filters that row matches, so a rule may name
///   the scoped tags of the row's own filter values instead of every list of that order);
/// - `<prefix>search` when a search parameter has a non-empty value;
/// - `<prefix>count` when the body carries `countField` at its top level;
/// - for a sort key in `sortRanges` (a text column sorted in byte order, or a non-negative
///   integer column), instead of the scoped sort tags and unless a filter in `notPlacedWith`
///   is present: the page's place on that order (`SortRange.pageTags`), scoped by each filter
///   value or `all` (`<prefix>range:<key>:<scope>@in:...`). Before the body is read the entry
///   carries `<prefix>range:<key>:<scope>`; `entryTags` replaces it by the place of the values
///   the body's rows hold in `sortRanges[key]`, by nothing for an empty page (a change of a
///   sort value moves no row into or out of it), and keeps it when a row lacks the value or
///   holds one without a place (a rule dropping places drops that tag too).
///
/// Invariant (exactness): a filter value other than plain text (letters, digits, `_-.`), or a
/// query parameter that is neither a filter, the sort, a search,
/// paging nor declared `ignored` could change membership or order in ways the tags do not
/// say, so such an entry carries every dimension tag (`where:all`, every sort key, `search`):
/// any change that drops some list drops it. Paging needs no tag of its own: a page moves
/// only when membership or order changes, which the other tags cover.
public struct EntryTagging: Sendable, Equatable {
    /// Ids in the body: `member` at the top level is an array of objects (or one object),
    /// each carrying `field` (a string or an integer).
    public struct BodyIDs: Sendable, Equatable {
        public var member: String
        public var field: String
        /// A template with `{id}`.
        public var tag: String
        public init(member: String, field: String = "id", tag: String) {
            self.member = member
            self.field = field
            self.tag = tag
        }
    }

    public var prefix: String
    public var bodyIDs: [BodyIDs]
    public var filters: [String]
    public var sortParameter: String?
    public var sortKeys: [String]
    public var defaultSort: String?
    public var search: [String]
    public var paging: [String]
    public var ignored: [String]
    public var countField: String?
    /// A ranged sort key's value in each row (of the first `bodyIDs` member), and its order.
    public struct RangeField: Sendable, Equatable {
        public var field: String
        public var order: SortRange.Order
        public init(field: String, order: SortRange.Order = .bytes) {
            self.field = field
            self.order = order
        }
    }

    /// Sort key to where its value is in each row and how it is ordered.
    public var sortRanges: [String: RangeField]
    /// Filters whose lists are not placed but keep the scoped sort tags: filters naming single
    /// rows (`id`), whose lists a change of a row they name drops (`sort:<key>:id=<id>`), and
    /// whose places would leave the store a mark per row and node.
    public var notPlacedWith: [String] = []

    public init(prefix: String, bodyIDs: [BodyIDs] = [], filters: [String] = [], sortParameter: String? = nil, sortKeys: [String] = [], defaultSort: String? = nil, search: [String] = [], paging: [String] = [], ignored: [String] = [], countField: String? = nil, sortRanges: [String: RangeField] = [:]) {
        self.prefix = prefix
        self.bodyIDs = bodyIDs
        self.filters = filters
        self.sortParameter = sortParameter
        self.sortKeys = sortKeys
        self.defaultSort = defaultSort
        self.search = search
        self.paging = paging
        self.ignored = ignored
        self.countField = countField
        self.sortRanges = sortRanges
    }

    /// Whether the request alone decides the tags (no body ids to read).
    public var readsBody: Bool { !bodyIDs.isEmpty || countField != nil }

    public func whereTag(_ parameter: String, _ value: String) -> String { prefix + "where:" + parameter + "=" + value }
    public var unfilteredTag: String { prefix + "where:all" }
    public func sortTag(_ key: String) -> String { prefix + "sort:" + key }
    /// `scope`: `all`, or `<param>=<value>` of one filter value.
    public func sortTag(_ key: String, scope: String) -> String { prefix + "sort:" + key + ":" + scope }
    /// The tag an entry of a ranged sort carries until its body places it (see `entryTags`).
    public func rangeTag(_ key: String, scope: String) -> String { prefix + "range:" + key + ":" + scope }
    public var searchTag: String { prefix + "search" }
    public var countTag: String { prefix + "count" }

    /// The query dimension tags of a request with these (decoded) query parameters.
    public func queryTags(_ parameters: [(name: String, value: String)]) -> [String] {
        var tags: [String] = []
        var filtered = false
        var unknown = false
        var searched = false
        var sort = defaultSort
        var scopes: [String] = []
        var unplaceable = false
        for (rawName, value) in parameters {
            let name = rawName.hasSuffix("[]") ? String(rawName.dropLast(2)) : rawName
            if filters.contains(name) {
                // A value the origin might decode otherwise than this proxy is not trusted to
                // name the rows it selects.
                if Self.isPlainValue(value) {
                    tags.append(whereTag(name, value))
                    scopes.append(name + "=" + value)
                    if notPlacedWith.contains(name) { unplaceable = true }
                } else {
                    unknown = true
                }
                filtered = true
            } else if name == sortParameter {
                let key = value.hasPrefix("-") ? String(value.dropFirst()) : value
                if sortKeys.contains(key) { sort = key } else { unknown = true }
            } else if search.contains(name) {
                if !value.isEmpty { searched = true }
            } else if !paging.contains(name) && !ignored.contains(name) {
                unknown = true
            }
        }
        if !filtered || unknown { tags.append(unfilteredTag) }
        if unknown {
            tags += sortKeys.map(sortTag)
            tags += sortKeys.map { sortTag($0, scope: "all") }
            tags.append(searchTag)
        } else {
            if let sort {
                tags.append(sortTag(sort))
                let scoped = sortRanges[sort] == nil || unplaceable ? { sortTag(sort, scope: $0) } : { rangeTag(sort, scope: $0) }
                tags += filtered ? scopes.map(scoped) : [scoped("all")]
            }
            if searched { tags.append(searchTag) }
        }
        return Self.unique(tags)
    }

    /// An entry's tags: `known` (from `queryTags` and the route) with each ranged sort's
    /// pending tag placed by the body, plus what the body holds; nil when the body is not the
    /// JSON object the route promises (such an entry cannot say what it holds and must not be
    /// stored).
    public func entryTags<C: Collection>(known: [String], body: C) -> [String]? where C.Element == UInt8 {
        guard readsBody else { return known }
        guard case .object(let members)? = try? StrictJSONParser.parse(body), let held = bodyTags(members) else { return nil }
        var tags: [String] = []
        for tag in known {
            guard let range = rangeField(tag) else { tags.append(tag); continue }
            switch rangeValues(members, range) {
            case .some(let values) where values.isEmpty: continue
            case .some(let values): tags += SortRange.pageTags(scope: tag, values: values, order: range.order) ?? [tag]
            case .none: tags.append(tag)
            }
        }
        return Self.unique(tags + held)
    }

    /// The tags of what the body's members hold (ids, count), or nil when they do not hold
    /// what the route promises.
    private func bodyTags(_ members: [(key: String, value: JSONValue)]) -> [String]? {
        var tags: [String] = []
        for spec in bodyIDs {
            guard let elements = Self.rows(members, spec.member) else { return nil }
            for element in elements {
                guard case .object(let fields) = element, let id = fields.first(where: { $0.key == spec.field })?.value else { return nil }
                switch id {
                case .string(let text) where !text.isEmpty: tags.append(Self.fill(spec.tag, id: text))
                case .number(let text) where Int64(text) != nil: tags.append(Self.fill(spec.tag, id: text))
                default: return nil
                }
            }
        }
        if let countField, members.contains(where: { $0.key == countField }) { tags.append(countTag) }
        return Self.unique(tags)
    }

    /// The row field a pending range tag (`<prefix>range:<key>:<scope>`) is placed by.
    private func rangeField(_ tag: String) -> RangeField? {
        guard !sortRanges.isEmpty, tag.hasPrefix(prefix), tag.dropFirst(prefix.count).hasPrefix("range:"), !tag.contains("@") else { return nil }
        let rest = tag.dropFirst(prefix.count + "range:".count)
        guard let colon = rest.firstIndex(of: ":") else { return nil }
        return sortRanges[String(rest[..<colon])]
    }

    /// The values of the range's field over the rows of the first `bodyIDs` member (strings
    /// for `bytes`, numbers as written for `integer`); nil when a row lacks it or holds
    /// another kind (the page then cannot be placed).
    private func rangeValues(_ members: [(key: String, value: JSONValue)], _ range: RangeField) -> [String]? {
        guard let member = bodyIDs.first?.member, let rows = Self.rows(members, member) else { return nil }
        var values: [String] = []
        for row in rows {
            guard case .object(let fields) = row, let value = fields.first(where: { $0.key == range.field })?.value else { return nil }
            switch (range.order, value) {
            case (.bytes, .string(let text)), (.integer, .number(let text)): values.append(text)
            default: return nil
            }
        }
        return values
    }

    /// The rows under `member` at the top level: an array's elements, or one object; nil
    /// when it is missing or something else.
    private static func rows(_ members: [(key: String, value: JSONValue)], _ member: String) -> [JSONValue]? {
        guard let value = members.first(where: { $0.key == member })?.value else { return nil }
        switch value {
        case .array(let list): return list
        case .object: return [value]
        default: return nil
        }
    }

    /// Letters, digits, `_`, `-`, `.`: decoded the same by every query parser.
    static func isPlainValue(_ value: String) -> Bool {
        !value.isEmpty && value.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
        }
    }

    static func fill(_ template: String, id: String) -> String {
        var result = ""
        var rest = template[...]
        while let range = rest.firstRange(of: "{id}") {
            result += rest[..<range.lowerBound]
            result += id
            rest = rest[range.upperBound...]
        }
        return result + rest
    }

    static func unique(_ tags: [String]) -> [String] {
        var seen: Set<String> = []
        return tags.filter { seen.insert($0).inserted }
    }
}
