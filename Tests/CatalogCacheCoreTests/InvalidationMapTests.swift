import Testing
import CatalogCacheCore

@Suite struct InvalidationMapTests {
    private let map = InvalidationMap(tables: [
        "product": TableMapping(tags: ["product:{id}", "products"], keys: ["product-page:{id}", "hero_banners:active"]),
        "product_variant": TableMapping(tags: ["products", "variant:{id}:{id}"]),
        "region": TableMapping(tags: ["regions"]),
    ])

    @Test func rowEvents() {
        #expect(map.resolve(.row(table: "product", op: .update, ids: ["prod_1"], commitTimeMicros: nil)) == InvalidationSet(
            tags: ["product:prod_1", "products"], keys: ["product-page:prod_1", "hero_banners:active"]))
        #expect(map.resolve(.row(table: "product", op: .delete, ids: ["a", "b", "a"], commitTimeMicros: 5)) == InvalidationSet(
            tags: ["product:a", "product:b", "products"], keys: ["product-page:a", "product-page:b", "hero_banners:active"]))
        #expect(map.resolve(.row(table: "product_variant", op: .insert, ids: ["v"], commitTimeMicros: nil)).tags
                == ["products", "variant:v:v"])
    }

    @Test func eventsWithoutIdsOnlyResolveFixedTemplates() {
        #expect(map.resolve(.row(table: "product", op: .truncate, ids: [], commitTimeMicros: nil)) == InvalidationSet(
            tags: ["products"], keys: ["hero_banners:active"]))
    }

    @Test func unknownTablesExplicitAndTokens() {
        #expect(map.resolve(.row(table: "order", op: .update, ids: ["o"], commitTimeMicros: nil)).isEmpty)
        #expect(map.resolve(.explicit(keys: ["k1", "k2"], tags: ["t"])) == InvalidationSet(tags: ["t"], keys: ["k1", "k2"]))
        #expect(map.resolve(.explicit(keys: [], tags: [])).isEmpty)
        #expect(map.resolve(.token("abc")).isEmpty)
    }

    @Test func allTags() {
        #expect(map.allTags == ["products", "regions"])
        #expect(InvalidationMap(tables: [:]).allTags.isEmpty)
    }
}
