import CatalogHTTP
import CatalogPostgres
import NIOHTTP1

/// `GET /store/orders/{id}`, `GET /admin/orders[/{id}]`, `POST /admin/orders/{id}/status`.
///
/// Invariants: a status change locks the order row, asks `OrderLifecycle` whether the move is
/// allowed, and applies its effects (stock restored with movements on cancellation,
/// `order.updated` in the outbox) in the same transaction as the new status; a refused move is
/// 409 `INVALID_STATUS_TRANSITION` naming both states and writes nothing.
struct OrderRoutes: Sendable {
    let pool: PostgresPool
    let relay: OutboxRelay?

    func store(_ request: HTTPServerRequest, _ parts: ArraySlice<String>) async throws -> HTTPServerResponse {
        guard parts.count == 1, let id = parts.first else {
            throw APIError.notFound("no route for \(request.method.rawValue) \(request.path)")
        }
        try Router.allow([.GET, .HEAD], request)
        var headers = HTTPHeaders()
        headers.add(name: "Cache-Control", value: "private, no-store")
        return .json(.ok, try await order(id), headers: headers)
    }

    func admin(_ request: HTTPServerRequest, _ parts: ArraySlice<String>) async throws -> HTTPServerResponse {
        let p = Array(parts)
        switch p.count {
        case 0:
            try Router.allow([.GET, .HEAD], request)
            return try await list(request)
        case 1:
            try Router.allow([.GET, .HEAD], request)
            return .json(.ok, try await order(p[0]))
        case 2 where p[1] == "status":
            try Router.allow([.POST], request)
            return try await changeStatus(p[0], request)
        default:
            throw APIError.notFound("no route for \(request.method.rawValue) \(request.path)")
        }
    }

    private func order(_ id: String) async throws -> String {
        guard let json = try await pool.query(OrderJSONSQL.byID, [id]).scalar else {
            throw APIError.notFound("Order id \(id) not found")
        }
        return json
    }

    private func list(_ request: HTTPServerRequest) async throws -> HTTPServerResponse {
        let params = try QueryParameters(request.query)
        try params.rejectUnknown(["limit", "offset", "status"])
        let limit = try params.int("limit", default: 20, range: 1...ProductListQuery.maxLimit)
        let offset = try params.int("offset", default: 0, range: 0...1_000_000_000)
        var status: String?
        if let raw = params.last("status") {
            guard OrderStatus(rawValue: raw) != nil else {
                throw APIError.invalid("query parameter 'status' must be one of \(OrderStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            status = raw
        }
        let sql = """
            SELECT json_build_object(
                'orders', COALESCE((SELECT json_agg(\(OrderJSONSQL.order) ORDER BY o.created_at DESC, o.id DESC)
                    FROM (SELECT * FROM "order" WHERE $1::text IS NULL OR status = $1
                          ORDER BY created_at DESC, id DESC LIMIT \(limit) OFFSET \(offset)) o), '[]'::json),
                'count', (SELECT count(*) FROM "order" WHERE $1::text IS NULL OR status = $1),
                'offset', \(offset), 'limit', \(limit))::text
            """
        // Unnamed: the page is in the text, and the status filter's best plan depends on its value.
        return .json(.ok, try await pool.query(sql, [status], prepared: false).scalar ?? "{}")
    }

    private func changeStatus(_ id: String, _ request: HTTPServerRequest) async throws -> HTTPServerResponse {
        let body = try RequestBody(request.body, allowed: ["status"])
        let raw = try body.required(body.string("status", maxLength: 20), "status")
        guard let target = OrderStatus(rawValue: raw) else {
            throw APIError.invalid("field 'status' must be one of \(OrderStatus.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let json: String = try await pool.transaction { conn in
            guard let current = try conn.query("SELECT status FROM \"order\" WHERE id = $1 FOR UPDATE", [id]).scalar,
                  let status = OrderStatus(rawValue: current) else {
                throw APIError.notFound("Order id \(id) not found")
            }
            var lifecycle = OrderLifecycle(status: status)
            let effects: [OrderEffect]
            switch Result(catching: { () throws(InvalidStatusTransition) in try lifecycle.move(to: target) }) {
            case .success(let e): effects = e
            case .failure(let refused): throw APIError(.conflict, "INVALID_STATUS_TRANSITION", refused.message)
            }
            try conn.query("UPDATE \"order\" SET status = $2, updated_at = clock_timestamp() WHERE id = $1", [id, lifecycle.status.rawValue])
            var orderJSON = try conn.query("SELECT \(OrderJSONSQL.order)::text FROM \"order\" o WHERE o.id = $1", [id]).scalar ?? "{}"
            for effect in effects {
                switch effect {
                case .restoreStock:
                    try Self.restoreStock(conn, orderID: id)
                    orderJSON = try conn.query("SELECT \(OrderJSONSQL.order)::text FROM \"order\" o WHERE o.id = $1", [id]).scalar ?? "{}"
                case .emitUpdated(let from, let to):
                    let payload = "{\"order_id\":\(JSONText.string(id)),\"from\":\"\(from.rawValue)\",\"to\":\"\(to.rawValue)\",\"order\":\(orderJSON)}"
                    try conn.query("INSERT INTO outbox (event, aggregate_id, payload) VALUES ('order.updated', $1, $2)", [id, payload])
                }
            }
            return orderJSON
        }
        relay?.nudge()
        return .json(.ok, "{\"order\":\(json)}")
    }

    /// Adds each product's ordered quantity back (products in id order) with one movement each.
    private static func restoreStock(_ conn: PostgresConnection, orderID: String) throws {
        try conn.query("""
            SELECT p.id FROM product p
            WHERE p.id IN (SELECT product_id FROM order_line_item WHERE order_id = $1) ORDER BY p.id FOR UPDATE
            """, [orderID])
        try conn.query("""
            WITH q AS (
                SELECT product_id, sum(quantity)::int AS quantity FROM order_line_item
                WHERE order_id = $1 GROUP BY product_id
            ), restored AS (
                UPDATE product p SET stock = p.stock + q.quantity, updated_at = clock_timestamp()
                FROM (SELECT * FROM q ORDER BY product_id) q WHERE p.id = q.product_id
                RETURNING p.id, q.quantity
            )
            INSERT INTO inventory_movement (id, product_id, quantity_change, reason, order_id)
            SELECT 'imov_' || $1 || '_c_' || row_number() OVER (ORDER BY id), id, quantity, 'order_cancelled', $1
            FROM restored
            """, [orderID])
    }
}
