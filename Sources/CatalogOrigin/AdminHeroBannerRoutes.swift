import CatalogHTTP
import CatalogPostgres
import NIOHTTP1

/// Admin writes for hero banners: create, update, delete, batch reorder (plus an unfiltered list).
///
/// Invariants: the body is fully validated before any statement runs; every write is one
/// transaction and answers the changed object(s) as built by PostgreSQL.
struct AdminHeroBannerRoutes: Sendable {
    let pool: PostgresPool

    static let fields: Set<String> = ["title", "image_url", "link", "is_active", "sort_order"]
    static let sortRange = 0...1_000_000

    func handle(_ request: HTTPServerRequest, _ parts: ArraySlice<String>) async throws -> HTTPServerResponse {
        switch (parts.first, parts.count) {
        case (nil, _):
            try Router.allow([.GET, .HEAD, .POST], request)
            return request.method == .POST ? try await create(request) : try await list()
        case ("batch"?, 1):
            try Router.allow([.POST, .PATCH], request)
            return try await reorder(request)
        case (let id?, 1):
            try Router.allow([.GET, .HEAD, .POST, .PATCH, .DELETE], request)
            switch request.method {
            case .DELETE: return try await delete(id)
            case .GET, .HEAD: return try await get(id)
            default: return try await update(id, request)
            }
        default:
            throw APIError.notFound("no route for \(request.method.rawValue) \(request.path)")
        }
    }

    private static let returning = "RETURNING json_build_object('hero_banner', \(CatalogJSONSQL.heroBanner))::text"

    private func list() async throws -> HTTPServerResponse {
        let sql = """
            SELECT json_build_object('hero_banners',
                COALESCE(json_agg(\(CatalogJSONSQL.heroBanner) ORDER BY b.sort_order, b.id), '[]'::json))::text
            FROM hero_banner b
            """
        return .json(.ok, try await pool.withConnection { try $0.query(sql).scalar } ?? "{}")
    }

    private func get(_ id: String) async throws -> HTTPServerResponse {
        let sql = "SELECT json_build_object('hero_banner', \(CatalogJSONSQL.heroBanner))::text FROM hero_banner b WHERE b.id = $1"
        guard let json = try await pool.withConnection({ try $0.query(sql, [id]).scalar }) else {
            throw APIError.notFound("hero banner \(id) not found")
        }
        return .json(.ok, json)
    }

    private func create(_ request: HTTPServerRequest) async throws -> HTTPServerResponse {
        let body = try RequestBody(request.body, allowed: Self.fields)
        let title = try body.required(body.string("title", maxLength: 200), "title")
        let imageURL = try body.required(body.string("image_url", maxLength: 2000), "image_url")
        let link = try body.string("link", maxLength: 2000, nullable: true).value
        let isActive = try body.bool("is_active").value ?? true
        let sortOrder = try body.int("sort_order", range: Self.sortRange).value
        let id = MedusaID.make("hb")
        let sql = """
            INSERT INTO hero_banner AS b (id, title, image_url, link, is_active, sort_order)
            VALUES ($1, $2, $3, $4, $5, COALESCE($6::int, (SELECT COALESCE(max(sort_order) + 1, 0) FROM hero_banner)))
            \(Self.returning)
            """
        let params: [String?] = [id, title, imageURL, link, isActive ? "t" : "f", sortOrder.map(String.init)]
        let json = try await pool.withConnection { try $0.query(sql, params).scalar }
        return .json(.ok, json ?? "{}")
    }

    private func update(_ id: String, _ request: HTTPServerRequest) async throws -> HTTPServerResponse {
        let body = try RequestBody(request.body, allowed: Self.fields)
        var sets: [String] = []
        var params: [String?] = [id]
        func set(_ column: String, _ value: String?) {
            params.append(value)
            sets.append("\(column) = $\(params.count)")
        }
        if let v = try body.string("title", maxLength: 200).value { set("title", v) }
        if let v = try body.string("image_url", maxLength: 2000).value { set("image_url", v) }
        switch try body.string("link", maxLength: 2000, nullable: true) {
        case .absent: break
        case .null: set("link", nil)
        case .value(let v): set("link", v)
        }
        if let v = try body.bool("is_active").value { set("is_active", v ? "t" : "f") }
        if let v = try body.int("sort_order", range: Self.sortRange).value { set("sort_order", String(v)) }
        sets.append("updated_at = clock_timestamp()")
        let sql = "UPDATE hero_banner b SET \(sets.joined(separator: ", ")) WHERE b.id = $1 \(Self.returning)"
        let finalParams = params
        guard let json = try await pool.withConnection({ try $0.query(sql, finalParams).scalar }) else {
            throw APIError.notFound("hero banner \(id) not found")
        }
        return .json(.ok, json)
    }

    private func delete(_ id: String) async throws -> HTTPServerResponse {
        let sql = """
            DELETE FROM hero_banner b WHERE b.id = $1
            RETURNING json_build_object('id', b.id, 'object', 'hero_banner', 'deleted', true)::text
            """
        guard let json = try await pool.withConnection({ try $0.query(sql, [id]).scalar }) else {
            throw APIError.notFound("hero banner \(id) not found")
        }
        return .json(.ok, json)
    }

    /// `{"order":[{"id","sort_order"}...]}` or `{"ids":[...]}` (position becomes sort_order);
    /// all-or-nothing: any unknown id is a 404 and nothing changes.
    private func reorder(_ request: HTTPServerRequest) async throws -> HTTPServerResponse {
        let body = try RequestBody(request.body, allowed: ["order", "ids"])
        let order = try body.array("order", maxCount: 1000)
        let ids = try body.array("ids", maxCount: 1000)
        var pairs: [(String, Int)] = []
        switch (order, ids) {
        case (.value(let items), .absent):
            for (i, item) in items.enumerated() {
                let entry = try body.object(at: i, of: "order", element: item, allowed: ["id", "sort_order"])
                let id = try entry.required(entry.string("id", maxLength: 100), "id")
                let sort = try entry.required(entry.int("sort_order", range: Self.sortRange), "sort_order")
                pairs.append((id, sort))
            }
        case (.absent, .value(let items)):
            for (i, item) in items.enumerated() {
                guard case .string(let id) = item, !id.isEmpty else {
                    throw APIError.invalid("field 'ids[\(i)]' must be a non-empty string")
                }
                pairs.append((id, i))
            }
        case (.absent, .absent):
            throw APIError.invalid("field 'order' (or 'ids') is required")
        default:
            throw APIError.invalid("give either 'order' or 'ids', not both")
        }
        if pairs.isEmpty { throw APIError.invalid("field '\(ids.isAbsent ? "order" : "ids")' must not be empty") }
        if Set(pairs.map(\.0)).count != pairs.count { throw APIError.invalid("hero banner ids must be unique") }

        let idArray = PostgresTextArray.literal(pairs.map(\.0))
        let sortArray = "{" + pairs.map { String($0.1) }.joined(separator: ",") + "}"
        let requested = pairs.map(\.0)
        let json: String? = try await pool.transaction { conn in
            let found = try conn.query("SELECT id FROM hero_banner WHERE id = ANY($1::text[]) FOR UPDATE", [idArray])
            let existing = Set(found.rows.compactMap { $0[0] })
            let missing = requested.filter { !existing.contains($0) }
            if !missing.isEmpty {
                throw APIError.notFound("hero banner \(missing.joined(separator: ", ")) not found")
            }
            try conn.query("""
                UPDATE hero_banner b SET sort_order = v.sort_order, updated_at = clock_timestamp()
                FROM unnest($1::text[], $2::int[]) AS v(id, sort_order) WHERE b.id = v.id
                """, [idArray, sortArray])
            return try conn.query("""
                SELECT json_build_object('hero_banners',
                    COALESCE(json_agg(\(CatalogJSONSQL.heroBanner) ORDER BY b.sort_order, b.id), '[]'::json))::text
                FROM hero_banner b
                """).scalar
        }
        return .json(.ok, json ?? "{}")
    }
}
