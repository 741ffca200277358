import CatalogHTTP
import CatalogPostgres
import Logging
import NIOHTTP1

/// `POST /store/carts/{id}/complete`: turns a cart into an order.
///
/// Invariants:
/// - One PostgreSQL transaction inserts the order (claiming the cart: `cart_id` is unique),
///   decrements each product's stock with `stock >= quantity` (products in id order, so two
///   checkouts never deadlock), inserts the items at the catalog's current prices, one
///   inventory movement per product and `order.placed` in the outbox. Any refusal
///   (`INSUFFICIENT_STOCK`, `PRODUCT_NOT_FOUND`) rolls all of it back.
/// - A cart has at most one order: a request that loses the race for the cart (or comes after)
///   answers the order that won, in the same JSON; so does a repeated `Idempotency-Key`, and a
///   key already used for another cart is 409 `IDEMPOTENCY_KEY_REUSED`.
/// - The cart is deleted from Redis only after the commit; if that fails the order stands and
///   completing again answers it.
struct Checkout: Sendable {
    let pool: PostgresPool
    let store: CartStore?
    let relay: OutboxRelay?
    let logger: Logger

    private enum Outcome: Sendable {
        case placed(String)
        case lost
    }

    func complete(cartID: String, idempotencyKey: String?) async throws -> HTTPServerResponse {
        if let key = idempotencyKey {
            guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw APIError.invalid("header 'Idempotency-Key' must be 1 to 255 visible ASCII characters")
            }
        }
        guard CartStore.isCartID(cartID) else { throw APIError.notFound("Cart id \(cartID) not found") }
        if let existing = try await existingOrder(cartID: cartID, key: idempotencyKey) { return existing }
        guard let store else { throw APIError(.serviceUnavailable, "service_unavailable", "carts need Redis: start the origin with --redis") }
        guard let cart = try await store.load(cartID) else {
            if let existing = try await existingOrder(cartID: cartID, key: idempotencyKey) { return existing }
            throw APIError.notFound("Cart id \(cartID) not found")
        }
        guard !cart.lines.isEmpty else { throw APIError.invalid("cart \(cartID) has no items") }
        let orderID = MedusaID.make("order")
        let outcome = try await pool.transaction { conn in
            try Self.place(conn, orderID: orderID, cart: cart, key: idempotencyKey)
        }
        guard case .placed(let orderJSON) = outcome else {
            if let existing = try await existingOrder(cartID: cartID, key: idempotencyKey) { return existing }
            throw APIError(.serviceUnavailable, "service_unavailable", "the order for cart \(cartID) is not readable yet, retry")
        }
        relay?.nudge()
        do {
            try await store.clear(cartID, orderID: orderID)
        } catch {
            logger.warning("order placed but its cart was not cleared", metadata: ["cart": "\(cartID)", "error": "\(error)"])
        }
        return Self.answer(orderJSON)
    }

    static func answer(_ orderJSON: String) -> HTTPServerResponse {
        var headers = HTTPHeaders()
        headers.add(name: "Cache-Control", value: "private, no-store")
        return .json(.ok, "{\"type\":\"order\",\"order\":\(orderJSON)}", headers: headers)
    }

    /// The order already made for this cart or key, as the complete answer.
    private func existingOrder(cartID: String, key: String?) async throws -> HTTPServerResponse? {
        let sql = """
            SELECT o.cart_id, \(OrderJSONSQL.order)::text FROM "order" o
            WHERE o.cart_id = $1 OR ($2::text IS NOT NULL AND o.idempotency_key = $2)
            ORDER BY (o.idempotency_key IS NOT DISTINCT FROM $2) DESC LIMIT 1
            """
        guard let row = try await pool.query(sql, [cartID, key]).rows.first, let json = row[1] else { return nil }
        if row[0] != cartID {
            throw APIError(.conflict, "IDEMPOTENCY_KEY_REUSED", "Idempotency-Key was already used to complete cart \(row[0] ?? "")")
        }
        return Self.answer(json)
    }

    private struct Line {
        let ref: String
        let productID: String
        let variantID: String
        let title: String
        let variantTitle: String?
        let thumbnail: String?
        let quantity: Int
        let unitPrice: Int64
    }

    private static func place(_ conn: PostgresConnection, orderID: String, cart: StoredCart, key: String?) throws -> Outcome {
        let claimed = try conn.query("""
            INSERT INTO "order" (id, cart_id, idempotency_key, region_id, currency_code)
            VALUES ($1, $2, $3, $4, COALESCE((SELECT currency_code FROM region WHERE id = $4), 'usd'))
            ON CONFLICT DO NOTHING RETURNING id
            """, [orderID, cart.id, key, cart.regionID])
        if claimed.isEmpty { return .lost }

        let rows = try conn.query("""
            WITH \(CartPricing.linesCTE(region: 1, refs: 2, quantities: 3))
            SELECT ref, product_id, variant_id, title, variant_title, thumbnail, quantity, unit_price FROM lines ORDER BY ord
            """, [cart.regionID, PostgresTextArray.literal(cart.lines.map(\.ref)),
                  "{" + cart.lines.map { String($0.quantity) }.joined(separator: ",") + "}"]).rows
        var lines: [Line] = []
        for row in rows {
            guard let ref = row[0], let product = row[1], let variant = row[2], let title = row[3],
                  let quantity = row[6].flatMap({ Int($0) }) else { continue }
            guard let price = row[7].flatMap({ Int64($0) }) else {
                throw APIError(.conflict, "PRICE_UNAVAILABLE", "Variant \(ref) has no price in the cart's currency")
            }
            lines.append(Line(ref: ref, productID: product, variantID: variant, title: title, variantTitle: row[4],
                              thumbnail: row[5], quantity: quantity, unitPrice: price))
        }
        let found = Set(lines.map(\.ref))
        if let missing = cart.lines.first(where: { !found.contains($0.ref) }) {
            throw CartRoutes.productNotFound(missing.ref)
        }

        var perProduct: [String: Int] = [:]
        for line in lines { perProduct[line.productID, default: 0] += line.quantity }
        for (product, quantity) in perProduct.sorted(by: { $0.key < $1.key }) {
            let updated = try conn.query(
                "UPDATE product SET stock = stock - $1, updated_at = clock_timestamp() WHERE id = $2 AND stock >= $1 RETURNING stock",
                [String(quantity), product])
            if updated.isEmpty {
                let stock = try conn.query("SELECT stock FROM product WHERE id = $1", [product]).scalar ?? "0"
                let names = lines.filter { $0.productID == product }.map(\.variantID).joined(separator: ", ")
                throw APIError(.conflict, "INSUFFICIENT_STOCK",
                               "Variant \(names) of product \(product) has \(stock) in stock; the cart asks for \(quantity)")
            }
        }
        try conn.query("""
            INSERT INTO order_line_item (id, order_id, product_id, variant_id, title, variant_title, thumbnail, quantity, unit_price, rank)
            SELECT 'ordli_' || $1 || '_' || t.rank, $1, t.product_id, t.variant_id, t.title, t.variant_title, t.thumbnail, t.quantity, t.unit_price, t.rank
            FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::bigint[])
                WITH ORDINALITY AS t(product_id, variant_id, title, variant_title, thumbnail, quantity, unit_price, rank)
            """, [orderID, PostgresTextArray.literal(lines.map(\.productID)), PostgresTextArray.literal(lines.map(\.variantID)),
                  PostgresTextArray.literal(lines.map(\.title)), nullableArray(lines.map(\.variantTitle)),
                  nullableArray(lines.map(\.thumbnail)), "{" + lines.map { String($0.quantity) }.joined(separator: ",") + "}",
                  "{" + lines.map { String($0.unitPrice) }.joined(separator: ",") + "}"])
        let products = perProduct.keys.sorted()
        try conn.query("""
            INSERT INTO inventory_movement (id, product_id, quantity_change, reason, order_id)
            SELECT 'imov_' || $1 || '_' || t.n, t.product_id, -t.quantity, 'order', $1
            FROM unnest($2::text[], $3::int[]) WITH ORDINALITY AS t(product_id, quantity, n)
            """, [orderID, PostgresTextArray.literal(products),
                  "{" + products.map { String(perProduct[$0]!) }.joined(separator: ",") + "}"])
        let subtotal = lines.reduce(Int64(0)) { $0 + $1.unitPrice * Int64($1.quantity) }
        try conn.query(
            "UPDATE \"order\" SET item_count = $2, subtotal = $3, total = $3 WHERE id = $1",
            [orderID, String(lines.reduce(0) { $0 + $1.quantity }), String(subtotal)])
        let json = try conn.query(
            "SELECT \(OrderJSONSQL.order)::text FROM \"order\" o WHERE o.id = $1", [orderID]).scalar ?? "{}"
        try conn.query("INSERT INTO outbox (event, aggregate_id, payload) VALUES ('order.placed', $1, $2)", [orderID, json])
        return .placed(json)
    }

    /// A text[] literal where nil elements are SQL NULL.
    private static func nullableArray(_ values: [String?]) -> String {
        "{" + values.map { value in
            guard let value else { return "NULL" }
            return String(PostgresTextArray.literal([value]).dropFirst().dropLast())
        }.joined(separator: ",") + "}"
    }
}
