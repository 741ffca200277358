-- The catalog tables of a Medusa v2 database, as our own test fixture: table and column names,
-- types, keys and foreign keys as Medusa v2's migrations create them (product, pricing and
-- inventory modules, and the link tables joining them), indexes and unrelated tables left
-- out. Used by MedusaSchemaTests with config/examples/medusa-v2.yaml.

CREATE TABLE product_collection (
    id text PRIMARY KEY, title text NOT NULL, handle text NOT NULL, metadata jsonb,
    created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz
);
CREATE TABLE product_type (
    id text PRIMARY KEY, value text NOT NULL, metadata json,
    created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz
);
CREATE TABLE product (
    id text PRIMARY KEY, title text NOT NULL, handle text NOT NULL, subtitle text, description text,
    is_giftcard boolean NOT NULL DEFAULT false,
    status text NOT NULL CHECK (status IN ('draft', 'proposed', 'published', 'rejected')),
    thumbnail text, weight text, length text, height text, width text, origin_country text, hs_code text,
    mid_code text, material text,
    collection_id text REFERENCES product_collection (id) ON UPDATE CASCADE ON DELETE SET NULL,
    type_id text REFERENCES product_type (id) ON UPDATE CASCADE ON DELETE SET NULL,
    discountable boolean NOT NULL DEFAULT true, external_id text, metadata jsonb,
    created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz
);
CREATE TABLE product_variant (
    id text PRIMARY KEY, title text NOT NULL, sku text, barcode text, ean text, upc text,
    allow_backorder boolean NOT NULL DEFAULT false, manage_inventory boolean NOT NULL DEFAULT true,
    hs_code text, origin_country text, mid_code text, material text,
    weight numeric, length numeric, height numeric, width numeric, metadata jsonb, variant_rank numeric DEFAULT 0,
    product_id text REFERENCES product (id) ON UPDATE CASCADE ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz
);
CREATE TABLE product_category (
    id text PRIMARY KEY, name text NOT NULL, description text NOT NULL DEFAULT '', handle text NOT NULL,
    mpath text NOT NULL, is_active boolean NOT NULL DEFAULT false, is_internal boolean NOT NULL DEFAULT false,
    rank numeric NOT NULL DEFAULT 0,
    parent_category_id text REFERENCES product_category (id) ON UPDATE CASCADE ON DELETE CASCADE, metadata jsonb,
    created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz
);
CREATE TABLE product_category_product (
    product_id text NOT NULL REFERENCES product (id) ON UPDATE CASCADE ON DELETE CASCADE,
    product_category_id text NOT NULL REFERENCES product_category (id) ON UPDATE CASCADE ON DELETE CASCADE,
    PRIMARY KEY (product_id, product_category_id)
);
CREATE TABLE product_tag (
    id text PRIMARY KEY, value text NOT NULL, metadata jsonb,
    created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz
);
CREATE TABLE product_tags (
    product_id text NOT NULL REFERENCES product (id) ON UPDATE CASCADE ON DELETE CASCADE,
    product_tag_id text NOT NULL REFERENCES product_tag (id) ON UPDATE CASCADE ON DELETE CASCADE,
    PRIMARY KEY (product_id, product_tag_id)
);

-- Pricing module.
CREATE TABLE price_set (
    id text PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz
);
CREATE TABLE price (
    id text PRIMARY KEY, title text, price_set_id text NOT NULL REFERENCES price_set (id) ON UPDATE CASCADE ON DELETE CASCADE,
    currency_code text NOT NULL, raw_amount jsonb NOT NULL, rules_count integer NOT NULL DEFAULT 0, amount numeric NOT NULL,
    min_quantity numeric, max_quantity numeric, raw_min_quantity jsonb, raw_max_quantity jsonb, price_list_id text,
    created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz
);

-- Inventory module.
CREATE TABLE inventory_item (
    id text PRIMARY KEY, sku text, origin_country text, hs_code text, mid_code text, material text,
    weight integer, length integer, height integer, width integer, requires_shipping boolean NOT NULL DEFAULT true,
    description text, title text, thumbnail text, metadata jsonb,
    created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz
);
CREATE TABLE inventory_level (
    id text PRIMARY KEY,
    inventory_item_id text NOT NULL REFERENCES inventory_item (id) ON UPDATE CASCADE ON DELETE CASCADE,
    location_id text NOT NULL, stocked_quantity integer NOT NULL DEFAULT 0, reserved_quantity integer NOT NULL DEFAULT 0,
    incoming_quantity integer NOT NULL DEFAULT 0, metadata jsonb,
    created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz
);

-- Sales channels and regions.
CREATE TABLE sales_channel (
    id text PRIMARY KEY, name text NOT NULL, description text, is_disabled boolean NOT NULL DEFAULT false, metadata jsonb,
    created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz
);
CREATE TABLE region (
    id text PRIMARY KEY, name text NOT NULL, currency_code text NOT NULL, automatic_taxes boolean NOT NULL DEFAULT true, metadata jsonb,
    created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz
);

-- Link tables (Medusa's link module: no foreign keys across modules).
CREATE TABLE product_variant_price_set (
    id text NOT NULL, variant_id text NOT NULL, price_set_id text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz,
    PRIMARY KEY (variant_id, price_set_id)
);
CREATE TABLE product_variant_inventory_item (
    id text NOT NULL, variant_id text NOT NULL, inventory_item_id text NOT NULL, required_quantity numeric NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz,
    PRIMARY KEY (variant_id, inventory_item_id)
);
CREATE TABLE product_sales_channel (
    id text NOT NULL, product_id text NOT NULL, sales_channel_id text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz,
    PRIMARY KEY (product_id, sales_channel_id)
);
