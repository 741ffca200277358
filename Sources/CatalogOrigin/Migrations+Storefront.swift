extension Migrations {
    /// Admin users and sessions, orders and their items, the transactional outbox, and the
    /// currency rates region prices are computed with.
    ///
    /// Invariants: an order belongs to exactly one cart (`cart_id` unique) and to at most one
    /// `Idempotency-Key`, which is what makes completing a cart idempotent; outbox rows are
    /// published in `id` order and marked by setting `published_at`; session tokens are stored
    /// only as SHA-256 hashes.
    static let storefront = """
        CREATE TABLE admin_user (
            id text PRIMARY KEY,
            email text NOT NULL UNIQUE,
            password_hash text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE admin_session (
            token_hash text PRIMARY KEY,
            user_id text NOT NULL REFERENCES admin_user(id) ON DELETE CASCADE,
            expires_at timestamptz NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX admin_session_expires_idx ON admin_session (expires_at);

        CREATE TABLE currency_rate (
            currency_code text PRIMARY KEY,
            minor_units_per_usd_cent numeric NOT NULL CHECK (minor_units_per_usd_cent > 0)
        );
        INSERT INTO currency_rate (currency_code, minor_units_per_usd_cent) VALUES
            ('usd', 1), ('eur', 0.92), ('gbp', 0.79), ('aud', 1.52), ('jpy', 1.5), ('cad', 1.36);

        CREATE SEQUENCE order_display_id_seq;
        CREATE TABLE "order" (
            id text PRIMARY KEY,
            display_id bigint NOT NULL UNIQUE DEFAULT nextval('order_display_id_seq'),
            cart_id text NOT NULL UNIQUE,
            idempotency_key text UNIQUE,
            status text NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'processing', 'shipped', 'delivered', 'cancelled')),
            region_id text,
            currency_code text NOT NULL,
            item_count integer NOT NULL DEFAULT 0,
            subtotal bigint NOT NULL DEFAULT 0,
            total bigint NOT NULL DEFAULT 0,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX order_created_idx ON "order" (created_at, id);
        CREATE TABLE order_line_item (
            id text PRIMARY KEY,
            order_id text NOT NULL REFERENCES "order"(id) ON DELETE CASCADE,
            product_id text NOT NULL,
            variant_id text NOT NULL,
            title text NOT NULL,
            variant_title text,
            thumbnail text,
            quantity integer NOT NULL CHECK (quantity > 0),
            unit_price bigint NOT NULL CHECK (unit_price >= 0),
            rank integer NOT NULL
        );
        CREATE INDEX order_line_item_order_idx ON order_line_item (order_id, rank);
        ALTER TABLE inventory_movement ADD COLUMN order_id text;
        CREATE INDEX inventory_movement_order_idx ON inventory_movement (order_id) WHERE order_id IS NOT NULL;

        CREATE TABLE outbox (
            id bigserial PRIMARY KEY,
            event text NOT NULL,
            aggregate_id text NOT NULL,
            payload text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            published_at timestamptz
        );
        CREATE INDEX outbox_unpublished_idx ON outbox (id) WHERE published_at IS NULL;
        """
}
