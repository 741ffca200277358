import CatalogHTTP
import CatalogPostgres
import NIOHTTP1

/// Admin writes for products: create (with optional variants), update, delete, get any status.
///
/// Invariants: bodies are validated before any statement runs; referenced category and
/// collection ids must exist (400 otherwise); a duplicate handle or sku is a 409 `conflict`;
/// each write is one transaction answering `{"product": …}` as the store would render it
/// (drafts included).
struct AdminProductRoutes: Sendable {
    let pool: PostgresPool

    static let updatable: Set<String> = [
        "title", "handle", "description", "thumbnail", "price", "currency_code", "stock", "status",
        "category_id", "collection_id",
    ]
    static let creatable = updatable.union(["variants"])
    static let priceRange = 0...Int(Int32.max)
    static let stockRange = 0...Int(Int32.max)

    func handle(_ request: HTTPServerRequest, _ parts: ArraySlice<String>) async throws -> HTTPServerResponse {
        let p = Array(parts)
        switch p.count {
        case 0:
            try Router.allow([.POST], request)
            return try await create(request)
        case 1:
            try Router.allow([.GET, .HEAD, .POST, .PATCH, .DELETE], request)
            switch request.method {
            case .DELETE: return try await delete(p[0])
            case .GET, .HEAD: return try await get(p[0])
            default: return try await update(p[0], request)
            }
        case 2 where p[1] == "inventory":
            try Router.allow([.POST], request)
            return try await InventoryAdjustment(pool: pool).handle(productID: p[0], request)
        default:
            throw APIError.notFound("no route for \(request.method.rawValue) \(request.path)")
        }
    }

    /// Validated product columns from a body; nil entries in `columns` are SQL NULL.
    private struct Columns: Sendable {
        var columns: [(String, String?)] = []
        var categoryID: String?
        var collectionID: String?
    }

    private func columns(_ body: RequestBody) throws(APIError) -> Columns {
        var out = Columns()
        func put(_ c: String, _ v: String?) { out.columns.append((c, v)) }
        if let v = try body.string("title", maxLength: 300).value { put("title", v) }
        if let v = try body.string("handle", maxLength: 300).value {
            guard Self.isHandle(v) else { throw .invalid("field 'handle' must contain only a-z, 0-9 and '-'") }
            put("handle", v)
        }
        if let v = try body.string("description", maxLength: 20_000, allowEmpty: true).value { put("description", v) }
        switch try body.string("thumbnail", maxLength: 2000, nullable: true) {
        case .absent: break
        case .null: put("thumbnail", nil)
        case .value(let v): put("thumbnail", v)
        }
        if let v = try body.int("price", range: Self.priceRange).value { put("price", String(v)) }
        if let v = try body.string("currency_code", maxLength: 3).value {
            guard v.count == 3, v.utf8.allSatisfy({ $0 >= 0x61 && $0 <= 0x7A }) else {
                throw .invalid("field 'currency_code' must be a three-letter lower-case ISO 4217 code")
            }
            put("currency_code", v)
        }
        if let v = try body.int("stock", range: Self.stockRange).value { put("stock", String(v)) }
        if let v = try body.string("status", maxLength: 20).value {
            guard v == "published" || v == "draft" else { throw .invalid("field 'status' must be 'published' or 'draft'") }
            put("status", v)
        }
        for key in ["category_id", "collection_id"] {
            switch try body.string(key, maxLength: 100, nullable: true) {
            case .absent: break
            case .null: put(key, nil)
            case .value(let v):
                put(key, v)
                if key == "category_id" { out.categoryID = v } else { out.collectionID = v }
            }
        }
        return out
    }

    static func isHandle(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
    }

    /// Checks referenced rows inside the write transaction so the error names the field.
    private static func checkReferences(_ conn: PostgresConnection, _ cols: Columns) throws {
        if let id = cols.categoryID, try conn.query("SELECT 1 FROM product_category WHERE id = $1", [id]).isEmpty {
            throw APIError.invalid("field 'category_id': product category \(id) does not exist")
        }
        if let id = cols.collectionID, try conn.query("SELECT 1 FROM product_collection WHERE id = $1", [id]).isEmpty {
            throw APIError.invalid("field 'collection_id': product collection \(id) does not exist")
        }
    }

    private static func productJSON(_ conn: PostgresConnection, _ id: String) throws -> String? {
        try conn.query(CatalogJSONSQL.productByID(publishedOnly: false), [id]).scalar
    }

    private func get(_ id: String) async throws -> HTTPServerResponse {
        guard let json = try await pool.withConnection({ try Self.productJSON($0, id) }) else {
            throw APIError.notFound("product \(id) not found")
        }
        return .json(.ok, json)
    }

    private struct NewVariant: Sendable {
        var title: String
        var sku: String?
        var price: Int?
    }

    private func create(_ request: HTTPServerRequest) async throws -> HTTPServerResponse {
        let body = try RequestBody(request.body, allowed: Self.creatable)
        var cols = try columns(body)
        let title = try body.required(body.string("title", maxLength: 300), "title")
        _ = try body.required(body.int("price", range: Self.priceRange), "price")
        if !cols.columns.contains(where: { $0.0 == "handle" }) {
            let derived = slug(title)
            guard !derived.isEmpty else { throw APIError.invalid("field 'handle' is required when 'title' has no letters or digits") }
            cols.columns.append(("handle", derived))
        }
        var variants: [NewVariant] = []
        if let items = try body.array("variants", maxCount: 100).value {
            for (i, item) in items.enumerated() {
                let v = try body.object(at: i, of: "variants", element: item, allowed: ["title", "sku", "price"])
                variants.append(NewVariant(
                    title: try v.required(v.string("title", maxLength: 200), "title"),
                    sku: try v.string("sku", maxLength: 100, nullable: true).value,
                    price: try v.int("price", range: Self.priceRange).value))
            }
        }
        let id = MedusaID.make("prod")
        let allColumns = [("id", Optional(id))] + cols.columns
        let sql = """
            INSERT INTO product (\(allColumns.map(\.0).joined(separator: ", ")))
            VALUES (\((1...allColumns.count).map { "$\($0)" }.joined(separator: ", ")))
            RETURNING price
            """
        let params = allColumns.map(\.1)
        let finalCols = cols
        let finalVariants = variants
        let json: String? = try await pool.transaction { conn in
            try Self.checkReferences(conn, finalCols)
            let price = try Self.mapConflict { try conn.query(sql, params).scalar ?? "0" }
            for (rank, v) in finalVariants.enumerated() {
                _ = try Self.mapConflict {
                    try conn.query(
                        "INSERT INTO product_variant (id, product_id, title, sku, price, variant_rank) VALUES ($1, $2, $3, $4, $5, $6)",
                        [MedusaID.make("variant"), id, v.title, v.sku, v.price.map(String.init) ?? price, String(rank)])
                }
            }
            return try Self.productJSON(conn, id)
        }
        return .json(.ok, json ?? "{}")
    }

    private func update(_ id: String, _ request: HTTPServerRequest) async throws -> HTTPServerResponse {
        let body = try RequestBody(request.body, allowed: Self.updatable)
        let cols = try columns(body)
        var sets = cols.columns.enumerated().map { "\($0.element.0) = $\($0.offset + 2)" }
        sets.append("updated_at = clock_timestamp()")
        let sql = "UPDATE product SET \(sets.joined(separator: ", ")) WHERE id = $1 RETURNING id"
        let params: [String?] = [id] + cols.columns.map(\.1)
        let json: String? = try await pool.transaction { conn in
            try Self.checkReferences(conn, cols)
            let updated = try Self.mapConflict { try conn.query(sql, params) }
            if updated.isEmpty { throw APIError.notFound("product \(id) not found") }
            return try Self.productJSON(conn, id)
        }
        return .json(.ok, json ?? "{}")
    }

    private func delete(_ id: String) async throws -> HTTPServerResponse {
        let sql = """
            DELETE FROM product p WHERE p.id = $1
            RETURNING json_build_object('id', p.id, 'object', 'product', 'deleted', true)::text
            """
        guard let json = try await pool.withConnection({ try $0.query(sql, [id]).scalar }) else {
            throw APIError.notFound("product \(id) not found")
        }
        return .json(.ok, json)
    }

    /// Turns a unique violation into a 409 naming the duplicated value.
    @discardableResult
    private static func mapConflict<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PostgresError where error.isUniqueViolation {
            let what = error.message.contains("sku") ? "sku" : "handle"
            throw APIError.conflict("a product with this \(what) already exists (\(error.message))")
        }
    }
}
