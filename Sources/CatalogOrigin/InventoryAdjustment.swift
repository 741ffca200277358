import CatalogHTTP
import CatalogPostgres
import NIOHTTP1

/// `POST /admin/products/{id}/inventory` with `{"delta": -3, "reason": "sale"}`.
///
/// Invariants: the stock change and its `inventory_movement` row commit together or not at all;
/// the conditional UPDATE (`stock + delta >= 0`) is re-evaluated by PostgreSQL on the latest row
/// version under concurrency, so stock never goes negative and no decrement is lost; a shortfall
/// is 409 `insufficient_stock` and an unknown product 404, both writing nothing.
struct InventoryAdjustment: Sendable {
    let pool: PostgresPool

    static let deltaRange = -1_000_000...1_000_000

    func handle(productID: String, _ request: HTTPServerRequest) async throws -> HTTPServerResponse {
        let body = try RequestBody(request.body, allowed: ["delta", "reason"])
        let delta = try body.required(body.int("delta", range: Self.deltaRange), "delta")
        guard delta != 0 else { throw APIError.invalid("field 'delta' must not be 0") }
        let reason = try body.string("reason", maxLength: 200).value ?? "adjustment"
        let movementID = MedusaID.make("imov")
        let json: String? = try await pool.transaction { conn in
            let updated = try conn.query(
                "UPDATE product SET stock = stock + $1, updated_at = clock_timestamp() WHERE id = $2 AND stock + $1 >= 0 RETURNING stock",
                [String(delta), productID])
            if updated.isEmpty {
                guard let stock = try conn.query("SELECT stock FROM product WHERE id = $1", [productID]).scalar else {
                    throw APIError.notFound("product \(productID) not found")
                }
                throw APIError(.conflict, "insufficient_stock",
                               "product \(productID) has \(stock) in stock; cannot apply delta \(delta)")
            }
            return try conn.query("""
                WITH m AS (
                    INSERT INTO inventory_movement (id, product_id, quantity_change, reason)
                    VALUES ($1, $2, $3, $4) RETURNING *
                )
                SELECT json_build_object('product', \(CatalogJSONSQL.product),
                                         'inventory_movement', (SELECT \(CatalogJSONSQL.movement) FROM m))::text
                FROM product p \(CatalogJSONSQL.productJoins) WHERE p.id = $2
                """, [movementID, productID, String(delta), reason]).scalar
        }
        return .json(.ok, json ?? "{}")
    }
}
