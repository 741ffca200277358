import CatalogHTTP
import CatalogPostgres
import NIOHTTP1

/// The read-only store API (`GET`/`HEAD /store/...`).
///
/// Invariants: every answer is one SQL statement whose JSON text is sent as is; only published
/// products are visible; unknown ids and unknown paths are 404 JSON; no statement writes.
struct StoreRoutes: Sendable {
    let pool: PostgresPool

    static let heroBannerCacheControl = "public, max-age=300, stale-while-revalidate=600"

    func handle(_ request: HTTPServerRequest, _ parts: ArraySlice<String>) async throws -> HTTPServerResponse {
        let resource = parts.first ?? ""
        let rest = parts.dropFirst()
        let known = ["products", "hero-banners", "regions", "collections", "product-categories"]
        guard known.contains(resource), rest.count <= (resource == "products" ? 1 : 0) else {
            throw APIError.notFound("no route for \(request.method.rawValue) \(request.path)")
        }
        try Router.allow([.GET, .HEAD], request)
        let params = try QueryParameters(request.query)
        switch (resource, rest.first) {
        case ("products", let id?):
            guard let json = try await scalar(CatalogJSONSQL.productByID(publishedOnly: true), [id]) else {
                throw APIError.notFound("product \(id) not found")
            }
            return .json(.ok, json)
        case ("products", nil):
            let statement = try ProductListQuery(params).statement()
            return .json(.ok, try await scalar(statement.sql, statement.params) ?? "{}")
        case ("hero-banners", _):
            let sql = """
                SELECT json_build_object('hero_banners',
                    COALESCE(json_agg(\(CatalogJSONSQL.heroBanner) ORDER BY b.sort_order, b.id), '[]'::json))::text
                FROM hero_banner b WHERE b.is_active
                """
            var headers = HTTPHeaders()
            headers.add(name: "Cache-Control", value: Self.heroBannerCacheControl)
            return .json(.ok, try await scalar(sql) ?? "{}", headers: headers)
        case ("regions", _):
            let sql = """
                SELECT json_build_object('regions',
                    COALESCE(json_agg(\(CatalogJSONSQL.region) ORDER BY r.name, r.id), '[]'::json))::text
                FROM region r
                """
            return .json(.ok, try await scalar(sql) ?? "{}")
        case ("collections", _):
            let limit = try params.int("limit", default: 20, range: 1...ProductListQuery.maxLimit)
            let offset = try params.int("offset", default: 0, range: 0...1_000_000_000)
            let sql = """
                SELECT json_build_object(
                    'collections', COALESCE((SELECT json_agg(\(CatalogJSONSQL.collection) ORDER BY col.title, col.id)
                        FROM (SELECT * FROM product_collection ORDER BY title, id LIMIT \(limit) OFFSET \(offset)) col), '[]'::json),
                    'count', (SELECT count(*) FROM product_collection), 'offset', \(offset), 'limit', \(limit))::text
                """
            return .json(.ok, try await scalar(sql) ?? "{}")
        default:  // product-categories
            let sql = """
                SELECT json_build_object(
                    'product_categories', COALESCE(json_agg(\(CatalogJSONSQL.category)
                        ORDER BY c.parent_category_id NULLS FIRST, c.rank, c.id), '[]'::json),
                    'count', count(*), 'offset', 0, 'limit', count(*))::text
                FROM product_category c WHERE c.is_active
                """
            return .json(.ok, try await scalar(sql) ?? "{}")
        }
    }

    private func scalar(_ sql: String, _ params: [String?] = []) async throws -> String? {
        try await pool.withConnection { try $0.query(sql, params).scalar }
    }
}
