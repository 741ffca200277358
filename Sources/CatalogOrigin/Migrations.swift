/// The origin's schema as ordered, append-only migrations (Medusa v2 table names).
///
/// Invariants: versions are strictly increasing and never edited once released; each migration
/// runs in its own transaction and is recorded in `schema_migrations`, so re-running is a no-op.
/// Documented modelling choices: inventory levels are `product.stock`; collection membership is
/// `product.collection_id`; a product has at most one category (`product.category_id`).
public enum Migrations {
    public struct Migration: Sendable {
        public let version: Int
        public let name: String
        public let sql: String
    }

    public static let all: [Migration] = [
        Migration(version: 1, name: "catalog_tables", sql: tables),
        Migration(version: 2, name: "catalog_indexes", sql: indexes),
        Migration(version: 3, name: "product_status_count", sql: statusCount),
        Migration(version: 19, name: "storefront_orders_auth", sql: storefront),
    ]

    static let tables = """
        CREATE TABLE product_category (
            id text PRIMARY KEY,
            name text NOT NULL,
            handle text NOT NULL UNIQUE,
            description text NOT NULL DEFAULT '',
            parent_category_id text REFERENCES product_category(id) ON DELETE SET NULL,
            rank integer NOT NULL DEFAULT 0,
            is_active boolean NOT NULL DEFAULT true,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE product_collection (
            id text PRIMARY KEY,
            title text NOT NULL,
            handle text NOT NULL UNIQUE,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE region (
            id text PRIMARY KEY,
            name text NOT NULL,
            currency_code text NOT NULL,
            countries text[] NOT NULL DEFAULT '{}',
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE product (
            id text PRIMARY KEY,
            title text NOT NULL CHECK (title <> ''),
            handle text NOT NULL UNIQUE,
            description text NOT NULL DEFAULT '',
            thumbnail text,
            price integer NOT NULL CHECK (price >= 0),
            currency_code text NOT NULL DEFAULT 'usd',
            stock integer NOT NULL DEFAULT 0 CHECK (stock >= 0),
            status text NOT NULL DEFAULT 'published' CHECK (status IN ('published', 'draft')),
            category_id text REFERENCES product_category(id) ON DELETE SET NULL,
            collection_id text REFERENCES product_collection(id) ON DELETE SET NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE product_variant (
            id text PRIMARY KEY,
            product_id text NOT NULL REFERENCES product(id) ON DELETE CASCADE,
            title text NOT NULL,
            sku text UNIQUE,
            price integer NOT NULL CHECK (price >= 0),
            variant_rank integer NOT NULL DEFAULT 0,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE hero_banner (
            id text PRIMARY KEY,
            title text NOT NULL,
            image_url text NOT NULL,
            link text,
            is_active boolean NOT NULL DEFAULT true,
            sort_order integer NOT NULL DEFAULT 0,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE inventory_movement (
            id text PRIMARY KEY,
            product_id text NOT NULL REFERENCES product(id) ON DELETE CASCADE,
            quantity_change integer NOT NULL CHECK (quantity_change <> 0),
            reason text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now()
        );
        """

    /// One index per API query shape; descending orders use backward scans of the same index.
    static let indexes = """
        CREATE INDEX product_status_created_idx ON product (status, created_at, id);
        CREATE INDEX product_status_price_idx ON product (status, price, id);
        CREATE INDEX product_status_title_idx ON product (status, title, id);
        CREATE INDEX product_category_status_created_idx ON product (category_id, status, created_at, id);
        CREATE INDEX product_collection_status_created_idx ON product (collection_id, status, created_at, id);
        CREATE INDEX product_variant_product_idx ON product_variant (product_id, variant_rank, id);
        CREATE INDEX product_category_parent_idx ON product_category (parent_category_id, rank, id);
        CREATE INDEX product_collection_title_idx ON product_collection (title, id);
        CREATE INDEX hero_banner_active_sort_idx ON hero_banner (is_active, sort_order, id);
        CREATE INDEX inventory_movement_product_idx ON inventory_movement (product_id, created_at);
        DO $$
        BEGIN
            BEGIN
                CREATE EXTENSION IF NOT EXISTS pg_trgm;
            EXCEPTION WHEN others THEN
                RAISE NOTICE 'pg_trgm unavailable, title search uses a sequential scan: %', SQLERRM;
            END;
            IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
                EXECUTE 'CREATE INDEX product_title_trgm_idx ON product USING gin (title gin_trgm_ops)';
            END IF;
        END
        $$;
        """

    /// Exact per-status product counts kept by statement-level triggers (transition tables, so a
    /// 80,000-row COPY costs one counter update). Unfiltered listings read their `count` here
    /// instead of counting every published row on each request. Updates that change no status
    /// do not touch the counter row, so stock adjustments on different products never contend.
    static let statusCount = """
        CREATE TABLE product_status_count (
            status text PRIMARY KEY,
            product_count bigint NOT NULL
        );
        INSERT INTO product_status_count (status, product_count)
            SELECT status, count(*) FROM product GROUP BY status;

        CREATE FUNCTION product_status_count_apply() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                INSERT INTO product_status_count AS c (status, product_count)
                    SELECT status, count(*) FROM new_rows GROUP BY status
                ON CONFLICT (status) DO UPDATE SET product_count = c.product_count + EXCLUDED.product_count;
            ELSIF TG_OP = 'DELETE' THEN
                UPDATE product_status_count c SET product_count = c.product_count - d.n
                FROM (SELECT status, count(*) AS n FROM old_rows GROUP BY status) d WHERE c.status = d.status;
            ELSE
                INSERT INTO product_status_count AS c (status, product_count)
                    SELECT status, sum(delta) FROM (
                        SELECT status, 1 AS delta FROM new_rows
                        UNION ALL SELECT status, -1 FROM old_rows
                    ) changes GROUP BY status HAVING sum(delta) <> 0
                ON CONFLICT (status) DO UPDATE SET product_count = c.product_count + EXCLUDED.product_count;
            END IF;
            RETURN NULL;
        END
        $$;

        CREATE FUNCTION product_status_count_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM product_status_count;
            RETURN NULL;
        END
        $$;

        CREATE TRIGGER product_status_count_insert AFTER INSERT ON product
            REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION product_status_count_apply();
        CREATE TRIGGER product_status_count_update AFTER UPDATE ON product
            REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION product_status_count_apply();
        CREATE TRIGGER product_status_count_delete AFTER DELETE ON product
            REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION product_status_count_apply();
        CREATE TRIGGER product_status_count_truncate AFTER TRUNCATE ON product
            FOR EACH STATEMENT EXECUTE FUNCTION product_status_count_truncate();
        """
}
