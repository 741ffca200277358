/// What one kind of change to a table can affect: an UPDATE of any of `columns`, or one of
/// `operations` (INSERT, DELETE). Templates may hold one placeholder: `{id}` (each changed
/// row's id) or `{column}` (each old or new value of that column the trigger reports, see
/// `RowChange.values`); other text is literal.
///
/// `rangeScopes` (with `rangeColumn` and its `rangeOrder`: a text column sorted in byte
/// order, or a non-negative integer column): templates of the pending range tags of lists
/// sorted by that column (`products:range:title:all`). Each expanded scope is dropped itself
/// and with it the places (`SortRange.dropTags`) between the lowest and the highest value the
/// column had before or after the change, so only the pages that change can reorder go.
public struct ChangeRule: Sendable, Equatable {
    public var columns: [String]
    public var operations: [RowOperation]
    public var tags: [String]
    public var keys: [String]
    public var rangeColumn: String?
    public var rangeOrder: SortRange.Order
    public var rangeScopes: [String]

    public init(columns: [String] = [], operations: [RowOperation] = [], tags: [String] = [], keys: [String] = [], rangeColumn: String? = nil, rangeOrder: SortRange.Order = .bytes, rangeScopes: [String] = []) {
        self.columns = columns
        self.operations = operations
        self.tags = tags
        self.keys = keys
        self.rangeColumn = rangeColumn
        self.rangeOrder = rangeOrder
        self.rangeScopes = rangeScopes
    }

    /// The placeholder of a template (`{category_id}` gives `category_id`), nil for none.
    public static func placeholder(_ template: String) -> String? {
        guard let open = template.firstIndex(of: "{"), let close = template[open...].firstIndex(of: "}") else { return nil }
        let name = String(template[template.index(after: open)..<close])
        return Identifier.isValid(name) ? name : nil
    }

    /// Columns whose values the templates need (every placeholder but `id`, and the range column).
    public var valueColumns: [String] {
        var seen: Set<String> = []
        return ((tags + keys + rangeScopes).compactMap(Self.placeholder) + (rangeColumn.map { [$0] } ?? [])).filter { $0 != "id" && seen.insert($0).inserted }
    }

    /// The template with its placeholder replaced by each value in turn; nil when the
    /// values of its column are unknown (the caller then falls back to the coarse rule).
    static func expand(_ template: String, ids: [String], values: [String: [String]]) -> [String]? {
        guard let name = placeholder(template) else { return [template] }
        guard let replacements = name == "id" ? ids : values[name] else { return nil }
        let marker = "{" + name + "}"
        return replacements.map { value in
            var result = ""
            var rest = template[...]
            while let range = rest.firstRange(of: marker) {
                result += rest[..<range.lowerBound]
                result += value
                rest = rest[range.upperBound...]
            }
            return result + rest
        }
    }
}
