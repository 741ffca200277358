import CatalogTestSupport
import CatalogCacheCore
import CatalogCacheProxy
import CatalogPostgres
import Foundation
import Testing

/// config/examples/medusa-v2.yaml on a database with Medusa v2's catalog tables (our fixture,
/// Tests/Fixtures/medusa-v2-catalog.sql): its triggers installed, writes shaped like Medusa's
/// each resolve to exactly the tags of the products they touch.
@Suite(.enabled(if: TestServices.enabled), .serialized)
struct MedusaSchemaTests {
    static let rows = """
        INSERT INTO product_collection (id, title, handle) VALUES ('pcol_1', 'Summer', 'summer');
        INSERT INTO product (id, title, handle, status, collection_id) VALUES
            ('prod_1', 'Shirt', 'shirt', 'published', 'pcol_1'), ('prod_2', 'Hat', 'hat', 'published', NULL);
        INSERT INTO product_variant (id, title, product_id) VALUES ('variant_1', 'S', 'prod_1'), ('variant_2', 'M', 'prod_1'), ('variant_3', 'One', 'prod_2');
        INSERT INTO product_category (id, name, handle, mpath) VALUES ('pcat_1', 'Tops', 'tops', 'pcat_1');
        INSERT INTO product_category_product VALUES ('prod_1', 'pcat_1');
        INSERT INTO price_set (id) VALUES ('pset_1'), ('pset_3');
        INSERT INTO price (id, price_set_id, currency_code, raw_amount, amount) VALUES
            ('price_1', 'pset_1', 'usd', '{"value": "1000"}', 1000), ('price_3', 'pset_3', 'usd', '{"value": "500"}', 500);
        INSERT INTO product_variant_price_set (id, variant_id, price_set_id) VALUES ('pvps_1', 'variant_1', 'pset_1'), ('pvps_3', 'variant_3', 'pset_3');
        INSERT INTO inventory_item (id, sku) VALUES ('iitem_1', 'S-1'), ('iitem_3', 'H-1');
        INSERT INTO inventory_level (id, inventory_item_id, location_id, stocked_quantity) VALUES
            ('ilev_1', 'iitem_1', 'sloc_1', 10), ('ilev_3', 'iitem_3', 'sloc_1', 5);
        INSERT INTO product_variant_inventory_item (id, variant_id, inventory_item_id) VALUES ('pvitem_1', 'variant_1', 'iitem_1'), ('pvitem_3', 'variant_3', 'iitem_3');
        """

    @Test func medusaShapedWritesDropExactlyTheProductsTheyTouch() async throws {
        guard let adminURL = TestServices.databaseURL else { throw ServicesMissing() }
        let name = "cc_medusa_\(UInt32.random(in: 0...UInt32.max))"
        let url = String(adminURL[..<adminURL.lastIndex(of: "/")!]) + "/\(name)"
        let configuration = try ConfigurationLoader.load(path: TestServices.packageRoot.appendingPathComponent("config/examples/medusa-v2.yaml").path)
        let schema = try String(contentsOf: TestServices.packageRoot.appendingPathComponent("Tests/Fixtures/medusa-v2-catalog.sql"), encoding: .utf8)
        let map = configuration.invalidationMap
        try await offThePool {
            let admin = try PostgresConnection(url: adminURL)
            defer { admin.close() }
            _ = try admin.execute("CREATE DATABASE \(name)")
            defer { _ = try? admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
            let writer = try PostgresConnection(url: url)
            defer { writer.close() }
            _ = try writer.execute(schema)
            _ = try writer.execute(Self.rows)
            let report = try TriggerInstaller.install(connection: writer, tables: configuration.tables, channel: "catalog_cache")
            #expect(report.skipped.isEmpty, "skipped \(report.skipped.map(\.table))")
            let listener = try PostgresConnection(url: url)
            defer { listener.close() }
            _ = try listener.execute("LISTEN catalog_cache")

            /// The union of what the notifications of one statement resolve to.
            func drops(_ sql: String) throws -> Set<String> {
                _ = try writer.execute(sql)
                var payloads: [String] = []
                for _ in 0..<50 {
                    try listener.consumeInput()
                    payloads += listener.notifies().map(\.payload)
                    if !payloads.isEmpty { Thread.sleep(forTimeInterval: 0.05); try listener.consumeInput(); payloads += listener.notifies().map(\.payload); break }
                    Thread.sleep(forTimeInterval: 0.02)
                }
                var tags: Set<String> = []
                for payload in payloads { tags.formUnion(map.resolve(try NotifyPayloadParser.parse(payload)).tags) }
                return tags
            }

            // A checkout's reservation, a restock: only the product holding the inventory item.
            #expect(try drops("UPDATE inventory_level SET reserved_quantity = reserved_quantity + 1, updated_at = now() WHERE inventory_item_id = 'iitem_1'") == ["product:prod_1"])
            #expect(try drops("UPDATE inventory_level SET stocked_quantity = stocked_quantity + 5 WHERE id = 'ilev_3'") == ["product:prod_2"])
            // A price change through the price set link.
            #expect(try drops("UPDATE price SET amount = 1500, raw_amount = '{\"value\": \"1500\"}', updated_at = now() WHERE id = 'price_1'") == ["product:prod_1"])
            #expect(try drops("INSERT INTO price (id, price_set_id, currency_code, raw_amount, amount) VALUES ('price_3e', 'pset_3', 'eur', '{\"value\": \"450\"}', 450)") == ["product:prod_2"])
            // Variants, product fields, titles.
            #expect(try drops("UPDATE product_variant SET title = 'XL', updated_at = now() WHERE id = 'variant_2'") == ["product:prod_1"])
            #expect(try drops("UPDATE product SET description = 'Soft', updated_at = now() WHERE id = 'prod_1'") == ["product:prod_1", "products:sort:updated_at"])
            #expect(try drops("UPDATE product SET title = 'Cap' WHERE id = 'prod_2'") == ["product:prod_2", "products:sort:title", "products:search"])
            // Category links: the product, and the lists filtered by that category.
            #expect(try drops("INSERT INTO product_category_product VALUES ('prod_2', 'pcat_1')") == ["product:prod_2", "products:where:category_id=pcat_1"])
            // Membership through the product row, and a column the mapping does not name: coarse.
            #expect(try drops("UPDATE product SET status = 'draft' WHERE id = 'prod_1'") == ["products", "product:prod_1"])
            _ = try writer.execute("ALTER TABLE product ADD COLUMN brand text")
            #expect(try drops("UPDATE product SET brand = 'Acme' WHERE id = 'prod_2'") == ["products", "product:prod_2"])
            // An inventory item linked to no variant belongs to no product: nothing to drop.
            #expect(try drops("INSERT INTO inventory_item (id, sku) VALUES ('iitem_9', 'X-9')").isEmpty)
        }
    }
}
