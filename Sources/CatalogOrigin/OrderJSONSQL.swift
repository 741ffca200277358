/// SQL expressions building order JSON inside PostgreSQL.
enum OrderJSONSQL {
    /// Order object with its items; alias `o` ("order").
    static let order = """
        json_build_object('id', o.id, 'display_id', o.display_id, 'status', o.status, 'cart_id', o.cart_id,
            'region_id', o.region_id, 'currency_code', o.currency_code,
            'items', COALESCE((SELECT json_agg(json_build_object(
                'id', i.id, 'product_id', i.product_id, 'variant_id', i.variant_id, 'title', i.title,
                'variant_title', i.variant_title, 'thumbnail', i.thumbnail, 'quantity', i.quantity,
                'unit_price', i.unit_price, 'subtotal', i.unit_price * i.quantity, 'total', i.unit_price * i.quantity)
                ORDER BY i.rank) FROM order_line_item i WHERE i.order_id = o.id), '[]'::json),
            'item_count', o.item_count, 'subtotal', o.subtotal, 'total', o.total,
            'created_at', o.created_at, 'updated_at', o.updated_at)
        """

    /// `{"order": …}` for `$1`.
    static let byID = "SELECT json_build_object('order', \(order))::text FROM \"order\" o WHERE o.id = $1"
}
