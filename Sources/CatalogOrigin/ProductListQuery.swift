import CatalogPostgres

/// A validated `/store/products` listing request and the single SQL statement answering it.
///
/// Invariants: only published products are listed; every ordering ends with `id` in the same
/// direction, so pages are stable and disjoint; `count` counts the same filtered set without
/// limit/offset (read from `product_status_count` when unfiltered); user input reaches SQL
/// only as parameters (order is chosen from a fixed list), so the text depends only on the
/// listing's shape (which filters, which order, the currency).
struct ProductListQuery: Sendable, Equatable {
    enum Order: String, Sendable, CaseIterable {
        case createdAt = "created_at", createdAtDesc = "-created_at"
        case price = "price", priceDesc = "-price"
        case title = "title", titleDesc = "-title"

        var sql: String {
            switch self {
            case .createdAt: return "p.created_at ASC, p.id ASC"
            case .createdAtDesc: return "p.created_at DESC, p.id DESC"
            case .price: return "p.price ASC, p.id ASC"
            case .priceDesc: return "p.price DESC, p.id DESC"
            case .title: return "p.title ASC, p.id ASC"
            case .titleDesc: return "p.title DESC, p.id DESC"
            }
        }
    }

    static let maxLimit = 100
    static let maxListValues = 100

    var order = Order.createdAtDesc
    var limit = 20
    var offset = 0
    var categoryIDs: [String] = []
    var collectionIDs: [String] = []
    var ids: [String] = []
    var handles: [String] = []
    var q: String? = nil
    /// The region's currency (validated by the caller) for `calculated_price`, or nil.
    var currency: String? = nil

    /// Every parameter the listing accepts; `fields` and `region_id` are read by `StoreRoutes`
    /// (`fields` is accepted and the full object is always answered).
    static let known: Set<String> = [
        "order", "limit", "offset", "category_id", "collection_id", "id", "handle", "q", "fields", "region_id",
    ]

    /// Validates the query string: an unknown parameter is Medusa's 400 (`Unrecognized
    /// fields`), a known one with a bad value a 400 naming the parameter.
    init(_ params: QueryParameters) throws(APIError) {
        try params.rejectUnknown(Self.known)
        if let raw = params.last("order") {
            guard let o = Order(rawValue: raw) else {
                throw .invalid("query parameter 'order' must be one of \(Order.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            order = o
        }
        limit = try params.int("limit", default: 20, range: 1...Self.maxLimit)
        offset = try params.int("offset", default: 0, range: 0...1_000_000_000)
        categoryIDs = try Self.list(params, "category_id")
        collectionIDs = try Self.list(params, "collection_id")
        ids = try Self.list(params, "id")
        handles = try Self.list(params, "handle")
        if let raw = params.last("q"), !raw.isEmpty {
            guard raw.count <= 200 else { throw .invalid("query parameter 'q' must be at most 200 characters") }
            q = raw
        }
    }

    private static func list(_ params: QueryParameters, _ name: String) throws(APIError) -> [String] {
        let values = params.all(name, name + "[]")
        if values.count > maxListValues { throw .invalid("query parameter '\(name)' accepts at most \(maxListValues) values") }
        if values.contains(where: \.isEmpty) { throw .invalid("query parameter '\(name)' must not be empty") }
        return values
    }

    /// The statement and its parameters; the result is one row, one column of JSON text.
    /// `prepared` is false for a filtered listing: its best plan depends on the values (a
    /// category of ten products or of thousands), so it is planned for each request.
    func statement() -> (sql: String, params: [String?], prepared: Bool) {
        var params: [String?] = []
        var conditions = ["p.status = 'published'"]
        func bind(_ value: String) -> String {
            params.append(value)
            return "$\(params.count)"
        }
        if !categoryIDs.isEmpty { conditions.append("p.category_id = ANY(\(bind(PostgresTextArray.literal(categoryIDs)))::text[])") }
        if !collectionIDs.isEmpty { conditions.append("p.collection_id = ANY(\(bind(PostgresTextArray.literal(collectionIDs)))::text[])") }
        if !ids.isEmpty { conditions.append("p.id = ANY(\(bind(PostgresTextArray.literal(ids)))::text[])") }
        if !handles.isEmpty { conditions.append("p.handle = ANY(\(bind(PostgresTextArray.literal(handles)))::text[])") }
        if let q { conditions.append("p.title ILIKE \(bind("%" + Self.escapeLike(q) + "%"))") }
        let whereSQL = conditions.joined(separator: " AND ")
        // Paging is bound too, so every page of the unfiltered listing is one prepared statement.
        let limitSQL = "\(bind(String(limit)))::int", offsetSQL = "\(bind(String(offset)))::int"
        // Unfiltered listings read the trigger-maintained exact count (migration 3).
        let countSQL = conditions.count == 1
            ? "(SELECT COALESCE(sum(product_count), 0) FROM product_status_count WHERE status = 'published')"
            : "(SELECT count(*) FROM product p WHERE \(whereSQL))"
        let sql = """
            WITH page AS (
                SELECT p.* FROM product p WHERE \(whereSQL)
                ORDER BY \(order.sql) LIMIT \(limitSQL) OFFSET \(offsetSQL)
            )
            SELECT json_build_object(
                'products', COALESCE((
                    SELECT json_agg(\(CatalogJSONSQL.productObject(currency: currency)) ORDER BY \(order.sql))
                    FROM page p \(CatalogJSONSQL.productJoins)), '[]'::json),
                'count', \(countSQL),
                'offset', \(offsetSQL), 'limit', \(limitSQL))::text
            """
        return (sql, params, conditions.count == 1)
    }

    /// Escapes LIKE metacharacters so `q` matches literally (backslash is the default escape).
    static func escapeLike(_ s: String) -> String {
        var out = ""
        for ch in s {
            if ch == "\\" || ch == "%" || ch == "_" { out.append("\\") }
            out.append(ch)
        }
        return out
    }
}
