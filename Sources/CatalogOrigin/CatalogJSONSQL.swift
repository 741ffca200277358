/// SQL expressions that build the Medusa-shaped JSON for each object inside PostgreSQL.
///
/// Invariants: the read path returns PostgreSQL's JSON text unchanged (no re-encoding in Swift);
/// every expression names its table through a fixed alias documented on it; timestamps render
/// as ISO 8601 in the session time zone, which the pool sets to UTC.
enum CatalogJSONSQL {
    /// Product object. Needs `p` (product), `c` (LEFT JOIN product_category), `col` (LEFT JOIN
    /// product_collection). Extensions to Medusa's shape: `price`, `currency_code` and
    /// `inventory_quantity` at the top level (products without variant rows still show a price).
    static let product = productObject(currency: nil)

    /// The product object; with `currency` (a validated three-letter code, inlined) each
    /// variant, and the product itself, also carries Medusa's `calculated_price` in it.
    static func productObject(currency: String?) -> String {
        func calculated(_ id: String, _ amount: String) -> String {
            guard let currency else { return "" }
            let converted = CartPricing.convert(amount, from: "p.currency_code", to: "'\(currency)'")
            return """
                , 'calculated_price', json_build_object('id', \(id), 'calculated_amount', \(converted),
                    'original_amount', \(converted), 'currency_code', '\(currency)')
                """
        }
        return """
            json_build_object(
                'id', p.id, 'title', p.title, 'handle', p.handle, 'description', p.description,
                'thumbnail', p.thumbnail, 'status', p.status,
                'collection_id', p.collection_id, 'category_id', p.category_id,
                'collection', CASE WHEN col.id IS NULL THEN NULL
                    ELSE json_build_object('id', col.id, 'title', col.title, 'handle', col.handle) END,
                'categories', CASE WHEN c.id IS NULL THEN '[]'::json
                    ELSE json_build_array(json_build_object('id', c.id, 'name', c.name, 'handle', c.handle)) END,
                'price', p.price, 'currency_code', p.currency_code, 'inventory_quantity', p.stock\(calculated("p.id", "p.price")),
                'created_at', p.created_at, 'updated_at', p.updated_at,
                'variants', COALESCE((
                    SELECT json_agg(json_build_object(
                        'id', v.id, 'title', v.title, 'sku', v.sku, 'inventory_quantity', p.stock,
                        'prices', json_build_array(json_build_object('amount', v.price, 'currency_code', p.currency_code))\(calculated("v.id", "v.price"))
                    ) ORDER BY v.variant_rank, v.id)
                    FROM product_variant v WHERE v.product_id = p.id), '[]'::json)
            )
            """
    }

    /// The joins `product` needs, after `FROM product p` (or a CTE aliased `p`).
    static let productJoins = """
        LEFT JOIN product_category c ON c.id = p.category_id
        LEFT JOIN product_collection col ON col.id = p.collection_id
        """

    /// Hero banner object; alias `b`.
    static let heroBanner = """
        json_build_object('id', b.id, 'title', b.title, 'image_url', b.image_url, 'link', b.link,
            'is_active', b.is_active, 'sort_order', b.sort_order,
            'created_at', b.created_at, 'updated_at', b.updated_at)
        """

    /// Region object; alias `r`. Countries follow Medusa's `[{"iso_2": "us"}]` shape.
    static let region = """
        json_build_object('id', r.id, 'name', r.name, 'currency_code', r.currency_code,
            'countries', COALESCE((SELECT json_agg(json_build_object('iso_2', cc) ORDER BY cc) FROM unnest(r.countries) cc), '[]'::json),
            'created_at', r.created_at, 'updated_at', r.updated_at)
        """

    /// Collection object; alias `col`.
    static let collection = """
        json_build_object('id', col.id, 'title', col.title, 'handle', col.handle,
            'created_at', col.created_at, 'updated_at', col.updated_at)
        """

    /// Category object; alias `c`.
    static let category = """
        json_build_object('id', c.id, 'name', c.name, 'handle', c.handle, 'description', c.description,
            'parent_category_id', c.parent_category_id, 'rank', c.rank, 'is_active', c.is_active,
            'created_at', c.created_at, 'updated_at', c.updated_at)
        """

    /// Inventory movement object; alias `m`.
    static let movement = """
        json_build_object('id', m.id, 'product_id', m.product_id, 'quantity_change', m.quantity_change,
            'reason', m.reason, 'created_at', m.created_at)
        """

    /// `{"product": …}` for one id, any status; the caller adds the status filter if needed.
    static func productByID(publishedOnly: Bool, currency: String? = nil) -> String {
        """
        SELECT json_build_object('product', \(productObject(currency: currency)))::text
        FROM product p \(productJoins)
        WHERE p.id = $1\(publishedOnly ? " AND p.status = 'published'" : "")
        """
    }
}
