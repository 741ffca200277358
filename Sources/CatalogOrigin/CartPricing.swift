import CatalogPostgres

/// Prices cart lines from the catalog at read time, inside PostgreSQL.
///
/// Invariants: a line's reference is a variant id, or the id of a published product without
/// variant rows (the product is then its own single variant); lines whose product is gone or
/// unpublished drop out; unit prices are the variant's (else the product's) price converted
/// into the cart's currency (the region's, `usd` without a region) with `currency_rate`, NULL
/// when a rate is missing. Stock is per product.
enum CartPricing {
    /// `amount` (minor units of `from`) in minor units of `to`; all three are SQL expressions.
    static func convert(_ amount: String, from: String, to: String) -> String {
        """
        (CASE WHEN \(from) = \(to) THEN (\(amount))::bigint ELSE round((\(amount))
            * (SELECT cr.minor_units_per_usd_cent FROM currency_rate cr WHERE cr.currency_code = \(to))
            / (SELECT cr.minor_units_per_usd_cent FROM currency_rate cr WHERE cr.currency_code = \(from)))::bigint END)
        """
    }

    /// CTEs `cur(code)` and `lines(ord, ref, quantity, product_id, variant_id, title,
    /// variant_title, thumbnail, stock, unit_price)`. Parameters: `$regionParam` region id (or
    /// NULL), `$refsParam` text[] of references, `$quantitiesParam` int[] of quantities.
    static func linesCTE(region: Int, refs: Int, quantities: Int) -> String {
        """
        cur AS (SELECT COALESCE((SELECT currency_code FROM region WHERE id = $\(region)), 'usd') AS code),
        lines AS (
            SELECT r.ord, r.ref, r.quantity, p.id AS product_id, COALESCE(v.id, p.id) AS variant_id,
                   p.title, v.title AS variant_title, p.thumbnail, p.stock,
                   \(convert("COALESCE(v.price, p.price)", from: "p.currency_code", to: "cur.code")) AS unit_price
            FROM unnest($\(refs)::text[], $\(quantities)::int[]) WITH ORDINALITY AS r(ref, quantity, ord)
            CROSS JOIN cur
            LEFT JOIN product_variant v ON v.id = r.ref
            JOIN product p ON p.id = COALESCE(v.product_id, r.ref) AND p.status = 'published'
            WHERE v.id IS NOT NULL OR NOT EXISTS (SELECT 1 FROM product_variant pv WHERE pv.product_id = p.id)
        )
        """
    }

    /// `{"cart": …}` for a stored cart, priced now.
    static func cartJSON(_ cart: StoredCart, pool: PostgresPool) async throws -> String {
        let sql = """
            WITH \(linesCTE(region: 2, refs: 3, quantities: 4))
            SELECT json_build_object('cart', json_build_object(
                'id', $1::text, 'region_id', $2::text, 'currency_code', (SELECT code FROM cur),
                'items', COALESCE(json_agg(json_build_object(
                    'id', 'cali_' || l.ref, 'variant_id', l.variant_id, 'product_id', l.product_id,
                    'title', COALESCE(l.variant_title, l.title), 'product_title', l.title,
                    'variant_title', l.variant_title, 'thumbnail', l.thumbnail, 'quantity', l.quantity,
                    'unit_price', l.unit_price, 'subtotal', l.unit_price * l.quantity,
                    'total', l.unit_price * l.quantity, 'inventory_quantity', l.stock) ORDER BY l.ord), '[]'::json),
                'item_count', COALESCE(sum(l.quantity), 0),
                'item_subtotal', COALESCE(sum(l.unit_price * l.quantity), 0),
                'subtotal', COALESCE(sum(l.unit_price * l.quantity), 0),
                'total', COALESCE(sum(l.unit_price * l.quantity), 0),
                'created_at', to_timestamp($5::bigint / 1000.0), 'updated_at', to_timestamp($6::bigint / 1000.0)))::text
            FROM lines l
            """
        let params: [String?] = [
            cart.id, cart.regionID, PostgresTextArray.literal(cart.lines.map(\.ref)),
            "{" + cart.lines.map { String($0.quantity) }.joined(separator: ",") + "}",
            String(cart.createdAt), String(cart.updatedAt),
        ]
        return try await pool.query(sql, params).scalar ?? "{}"
    }

    /// The published variant (or variant-less product) `ref` names, or nil.
    static func exists(_ ref: String, pool: PostgresPool) async throws -> Bool {
        let sql = """
            SELECT 1 FROM product p LEFT JOIN product_variant v ON v.id = $1
            WHERE p.id = COALESCE(v.product_id, $1) AND p.status = 'published'
              AND (v.id IS NOT NULL OR NOT EXISTS (SELECT 1 FROM product_variant pv WHERE pv.product_id = p.id))
            """
        return try await !pool.query(sql, [ref]).isEmpty
    }
}
