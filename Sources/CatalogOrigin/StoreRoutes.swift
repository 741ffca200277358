import CatalogHTTP
import CatalogPostgres
import NIOHTTP1

/// The read-only catalog of the store API (`GET`/`HEAD /store/...`).
///
/// Invariants: every answer is one SQL statement whose JSON text is sent as is (plus one lookup
/// of the region's currency when `region_id` is given); only published products are visible;
/// unknown ids and unknown paths are 404 JSON; an unknown query parameter is Medusa's 400
/// (`Invalid request: Unrecognized fields: 'x'`); `fields` is accepted everywhere and the full
/// object is always answered; no statement writes.
struct StoreRoutes: Sendable {
    let pool: PostgresPool

    static let heroBannerCacheControl = "public, max-age=300, stale-while-revalidate=600"

    func handle(_ request: HTTPServerRequest, _ parts: ArraySlice<String>) async throws -> HTTPServerResponse {
        let resource = parts.first ?? ""
        let rest = parts.dropFirst()
        let known = ["products", "hero-banners", "regions", "collections", "product-categories"]
        guard known.contains(resource), rest.count <= (resource == "hero-banners" ? 0 : 1) else {
            throw APIError.notFound("no route for \(request.method.rawValue) \(request.path)")
        }
        try Router.allow([.GET, .HEAD], request)
        let params = try QueryParameters(request.query)
        switch (resource, rest.first) {
        case ("products", let id?):
            try params.rejectUnknown(["fields", "region_id"])
            let currency = try await regionCurrency(params)
            guard let json = try await scalar(CatalogJSONSQL.productByID(publishedOnly: true, currency: currency), [id]) else {
                throw APIError.notFound("product \(id) not found")
            }
            return .json(.ok, json)
        case ("products", nil):
            var query = try ProductListQuery(params)
            query.currency = try await regionCurrency(params)
            let statement = query.statement()
            return .json(.ok, try await scalar(statement.sql, statement.params, prepared: statement.prepared) ?? "{}")
        case ("hero-banners", _):
            try params.rejectUnknown(["fields"])
            let sql = """
                SELECT json_build_object('hero_banners',
                    COALESCE(json_agg(\(CatalogJSONSQL.heroBanner) ORDER BY b.sort_order, b.id), '[]'::json))::text
                FROM hero_banner b WHERE b.is_active
                """
            var headers = HTTPHeaders()
            headers.add(name: "Cache-Control", value: Self.heroBannerCacheControl)
            return .json(.ok, try await scalar(sql) ?? "{}", headers: headers)
        case ("regions", let id?):
            try params.rejectUnknown(["fields"])
            return try await one("SELECT json_build_object('region', \(CatalogJSONSQL.region))::text FROM region r WHERE r.id = $1", id, "region")
        case ("regions", nil):
            try params.rejectUnknown(["fields", "limit", "offset"])
            let limit = try params.int("limit", default: 50, range: 1...ProductListQuery.maxLimit)
            let offset = try params.int("offset", default: 0, range: 0...1_000_000_000)
            let sql = """
                SELECT json_build_object(
                    'regions', COALESCE((SELECT json_agg(\(CatalogJSONSQL.region) ORDER BY r.name, r.id)
                        FROM (SELECT * FROM region ORDER BY name, id LIMIT $1::int OFFSET $2::int) r), '[]'::json),
                    'count', (SELECT count(*) FROM region), 'offset', $2::int, 'limit', $1::int)::text
                """
            return .json(.ok, try await scalar(sql, [String(limit), String(offset)]) ?? "{}")
        case ("collections", let id?):
            try params.rejectUnknown(["fields"])
            return try await one(
                "SELECT json_build_object('collection', \(CatalogJSONSQL.collection))::text FROM product_collection col WHERE col.id = $1",
                id, "collection")
        case ("collections", nil):
            try params.rejectUnknown(["fields", "limit", "offset", "handle"])
            let limit = try params.int("limit", default: 20, range: 1...ProductListQuery.maxLimit)
            let offset = try params.int("offset", default: 0, range: 0...1_000_000_000)
            let handles = params.all("handle", "handle[]")
            let filter = handles.isEmpty ? "true" : "handle = ANY($3::text[])"
            let sql = """
                SELECT json_build_object(
                    'collections', COALESCE((SELECT json_agg(\(CatalogJSONSQL.collection) ORDER BY col.title, col.id)
                        FROM (SELECT * FROM product_collection WHERE \(filter) ORDER BY title, id LIMIT $1::int OFFSET $2::int) col), '[]'::json),
                    'count', (SELECT count(*) FROM product_collection WHERE \(filter)), 'offset', $2::int, 'limit', $1::int)::text
                """
            let page = [String(limit), String(offset)]
            // Filtered by handle, unnamed and planned for its values, as the categories are.
            return .json(.ok, try await scalar(sql, handles.isEmpty ? page : page + [PostgresTextArray.literal(handles)], prepared: handles.isEmpty) ?? "{}")
        case ("product-categories", let id?):
            try params.rejectUnknown(["fields"])
            return try await one(
                "SELECT json_build_object('product_category', \(CatalogJSONSQL.category))::text FROM product_category c WHERE c.id = $1 AND c.is_active",
                id, "product category")
        default:  // product-categories
            try params.rejectUnknown(["fields", "limit", "offset", "handle"])
            let handles = params.all("handle", "handle[]")
            let filter = handles.isEmpty ? "" : " AND c.handle = ANY($1::text[])"
            let sql = """
                SELECT json_build_object(
                    'product_categories', COALESCE(json_agg(\(CatalogJSONSQL.category)
                        ORDER BY c.parent_category_id NULLS FIRST, c.rank, c.id), '[]'::json),
                    'count', count(*), 'offset', 0, 'limit', count(*))::text
                FROM product_category c WHERE c.is_active\(filter)
                """
            return .json(.ok, try await scalar(sql, handles.isEmpty ? [] : [PostgresTextArray.literal(handles)], prepared: handles.isEmpty) ?? "{}")
        }
    }

    /// The currency of `region_id` (400 when the region does not exist), nil without one.
    private func regionCurrency(_ params: QueryParameters) async throws -> String? {
        guard let regionID = params.last("region_id") else { return nil }
        guard let code = try await scalar("SELECT currency_code FROM region WHERE id = $1", [regionID]) else {
            throw APIError.invalid("query parameter 'region_id': region \(regionID) does not exist")
        }
        guard code.utf8.count == 3, code.utf8.allSatisfy({ $0 >= 0x61 && $0 <= 0x7A }) else {
            throw APIError(.internalServerError, "internal_error", "region \(regionID) has an invalid currency code")
        }
        return code
    }

    private func one(_ sql: String, _ id: String, _ what: String) async throws -> HTTPServerResponse {
        guard let json = try await scalar(sql, [id]) else { throw APIError.notFound("\(what) \(id) not found") }
        return .json(.ok, json)
    }

    private func scalar(_ sql: String, _ params: [String?] = [], prepared: Bool = true) async throws -> String? {
        try await pool.withConnection { try $0.query(sql, params, prepared: prepared).scalar }
    }
}
