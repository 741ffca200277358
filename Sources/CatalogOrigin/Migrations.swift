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
}
