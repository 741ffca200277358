import CatalogTestSupport
import Testing
@testable import CatalogCacheCore

/// The precise rules as values: what entries are tagged with, what a change resolves to,
/// and, over generated catalogs, list queries and writes against a model of the reference
/// origin's listing, that every list whose answer a write changes carries a dropped tag.
@Suite struct PreciseInvalidationTests {
    static let listTagging = EntryTagging(
        prefix: "products:", bodyIDs: [.init(member: "products", field: "id", tag: "product:{id}")],
        filters: ["category_id", "collection_id", "id"], sortParameter: "order", sortKeys: ["created_at", "price", "title"],
        defaultSort: "created_at", search: ["q"], paging: ["limit", "offset"], ignored: ["fields"], countField: "count"
    )
    /// The same with lists ordered by title placed on that order, as the shipped config has it.
    static let rangedListTagging: EntryTagging = {
        var t = listTagging
        t.sortRanges = ["title": .init(field: "title"), "price": .init(field: "price", order: .integer)]
        t.notPlacedWith = ["id"]
        return t
    }()
    /// The shipped config's product mapping.
    static let productMapping = TableMapping(tags: ["products", "product:{id}"], changes: [
        ChangeRule(columns: ["stock", "description", "thumbnail", "handle", "currency_code", "updated_at"], tags: ["product:{id}"]),
        ChangeRule(columns: ["price"], tags: ["product:{id}"] + sortScopes("price"), rangeColumn: "price", rangeOrder: .integer,
                   rangeScopes: ["all", "category_id={category_id}", "collection_id={collection_id}"].map { "products:range:price:\($0)" }),
        ChangeRule(columns: ["title"], tags: ["product:{id}"] + sortScopes("title") + ["products:search"], rangeColumn: "title",
                   rangeScopes: ["all", "category_id={category_id}", "collection_id={collection_id}"].map { "products:range:title:\($0)" }),
        ChangeRule(columns: ["status", "category_id", "collection_id", "created_at"], operations: [.insert, .delete], tags: [
            "product:{id}", "products:where:all", "products:where:id={id}",
            "products:where:category_id={category_id}", "products:where:collection_id={collection_id}",
        ]),
    ])
    static let map = InvalidationMap(tables: ["product": productMapping])

    /// The lists of one order a row's change of that sort column can reorder: unfiltered ones
    /// and those filtered by one of the row's own values.
    static func sortScopes(_ key: String) -> [String] {
        ["all", "id={id}", "category_id={category_id}", "collection_id={collection_id}"].map { "products:sort:\(key):\($0)" }
    }

    @Test func queryTags() {
        let t = Self.listTagging
        #expect(t.queryTags([]) == ["products:where:all", "products:sort:created_at", "products:sort:created_at:all"])
        #expect(t.queryTags([("category_id[]", "c1"), ("category_id[]", "c2"), ("order", "-price"), ("limit", "5")])
                == ["products:where:category_id=c1", "products:where:category_id=c2", "products:sort:price",
                    "products:sort:price:category_id=c1", "products:sort:price:category_id=c2"])
        #expect(t.queryTags([("q", "shirt"), ("fields", "id")]) == ["products:where:all", "products:sort:created_at", "products:sort:created_at:all", "products:search"])
        #expect(t.queryTags([("q", "")]) == ["products:where:all", "products:sort:created_at", "products:sort:created_at:all"])
        // An unknown parameter, an unknown sort key or an unusual filter value: every dimension.
        let everything = ["products:where:all", "products:sort:created_at", "products:sort:price", "products:sort:title",
                          "products:sort:created_at:all", "products:sort:price:all", "products:sort:title:all", "products:search"]
        #expect(t.queryTags([("region_id", "r")]) == everything)
        #expect(t.queryTags([("order", "stock")]) == everything)
        #expect(t.queryTags([("category_id", "a b")]) == everything)
        #expect(t.queryTags([("category_id", "c1"), ("sales_channel", "x")]) == ["products:where:category_id=c1"] + everything)
    }

    @Test func bodyTags() {
        let t = Self.listTagging
        #expect(t.entryTags(known: [], body: Array(#"{"products":[{"id":"p1","x":1},{"id":"p2"},{"id":7}],"count":3}"#.utf8)) == ["product:p1", "product:p2", "product:7", "products:count"])
        #expect(t.entryTags(known: [], body: Array(#"{"products":[],"limit":1}"#.utf8)) == [])
        #expect(t.entryTags(known: [], body: Array(#"{"product":{"id":"p1"}}"#.utf8)) == nil)  // no `products`
        #expect(t.entryTags(known: [], body: Array(#"{"products":[{"title":"no id"}]}"#.utf8)) == nil)
        #expect(t.entryTags(known: [], body: Array(#"{"products":[{"id":""}]}"#.utf8)) == nil)
        #expect(t.entryTags(known: [], body: Array("not json".utf8)) == nil)
        let detail = EntryTagging(prefix: "p:", bodyIDs: [.init(member: "product", tag: "product:{id}")])
        #expect(detail.entryTags(known: [], body: Array(#"{"product":{"id":"p1"}}"#.utf8)) == ["product:p1"])
        #expect(EntryTagging(prefix: "x:").entryTags(known: [], body: Array("anything".utf8)) == [])
    }

    @Test func changesResolveByColumnAndOperation() {
        func resolve(_ op: RowOperation, _ change: RowChange?, ids: [String] = ["p1"]) -> Set<String> {
            Self.map.resolve(.row(table: "product", op: op, ids: ids, commitTimeMicros: nil, change: change)).tags
        }
        #expect(resolve(.update, RowChange(columns: ["stock", "updated_at"])) == ["product:p1"])
        let repriced = resolve(.update, RowChange(columns: ["price"], values: ["category_id": ["c1"], "collection_id": [], "price": ["900", "1200"]]), ids: ["p1", "p2"])
        let priceScopes = ["products:range:price:all", "products:range:price:category_id=c1"]
        #expect(repriced == Set(["product:p1", "product:p2", "products:sort:price:all", "products:sort:price:id=p1", "products:sort:price:id=p2",
                                 "products:sort:price:category_id=c1"] + priceScopes + priceScopes.flatMap { SortRange.dropTags(scope: $0, values: ["900", "1200"], order: .integer)! }))
        // A price without a place (negative): the coarse rule.
        #expect(resolve(.update, RowChange(columns: ["price"], values: ["category_id": ["c1"], "collection_id": [], "price": ["-1", "5"]])) == ["products", "product:p1"])
        let renamed = resolve(.update, RowChange(columns: ["title"], values: ["category_id": [], "collection_id": ["k1"], "title": ["Bold Shirt", "Flash sale"]]))
        let scopes = ["products:range:title:all", "products:range:title:collection_id=k1"]
        #expect(renamed == Set(["product:p1", "products:sort:title:all", "products:sort:title:id=p1", "products:sort:title:collection_id=k1", "products:search"]
                               + scopes + scopes.flatMap { SortRange.dropTags(scope: $0, values: ["Bold Shirt", "Flash sale"])! }))
        // The titles not sent: the coarse rule.
        #expect(resolve(.update, RowChange(columns: ["title"], values: ["category_id": [], "collection_id": ["k1"]])) == ["products", "product:p1"])
        // The row's values not sent: the coarse rule.
        #expect(resolve(.update, RowChange(columns: ["price"])) == ["products", "product:p1"])
        #expect(resolve(.update, RowChange(columns: ["category_id"], values: ["category_id": ["c1", "c2"], "collection_id": []]))
                == ["product:p1", "products:where:all", "products:where:id=p1", "products:where:category_id=c1", "products:where:category_id=c2"])
        #expect(resolve(.delete, RowChange(values: ["category_id": ["c1"], "collection_id": ["k1"]]))
                == ["product:p1", "products:where:all", "products:where:id=p1", "products:where:category_id=c1", "products:where:collection_id=k1"])
        #expect(resolve(.update, RowChange(columns: [])) == [])  // nothing changed, nothing to drop
        // The coarse rule: an unnamed column, no column names, values not sent, a truncate.
        #expect(resolve(.update, RowChange(columns: ["stock", "brand_new_column"])) == ["products", "product:p1"])
        #expect(resolve(.update, nil) == ["products", "product:p1"])
        #expect(resolve(.update, RowChange(columns: ["status"])) == ["products", "product:p1"])
        #expect(resolve(.insert, nil) == ["products", "product:p1"])
        #expect(resolve(.truncate, nil, ids: []) == ["products"])
        // A table without precise rules resolves as before.
        let coarse = InvalidationMap(tables: ["t": TableMapping(tags: ["all", "t:{id}"])])
        #expect(coarse.resolve(.row(table: "t", op: .update, ids: ["1"], commitTimeMicros: nil, change: RowChange(columns: ["a"]))).tags == ["all", "t:1"])
    }

    @Test func templatesAndValueColumns() {
        #expect(ChangeRule.placeholder("products:where:category_id={category_id}") == "category_id")
        #expect(ChangeRule.placeholder("plain") == nil)
        #expect(ChangeRule.placeholder("{not valid}") == nil)
        #expect(Self.productMapping.valueColumns == ["category_id", "collection_id", "price", "title"])
        #expect(ChangeRule.expand("a:{id}:b", ids: ["1", "2"], values: [:]) == ["a:1:b", "a:2:b"])
        #expect(ChangeRule.expand("c={category_id}", ids: [], values: [:]) == nil)
    }

    // MARK: A model of the reference origin's product listing

    struct Product: Equatable {
        var id: String
        var title: String
        var price: Int
        var stock: Int
        var status: String
        var category: String?
        var collection: String?
        var createdAt: Int
    }

    struct ListQuery {
        var categories: [String] = []
        var collections: [String] = []
        var ids: [String] = []
        var q: String?
        var order = "-created_at"
        var limit = 3
        var offset = 0

        var parameters: [(name: String, value: String)] {
            categories.map { ("category_id", $0) } + collections.map { ("collection_id", $0) } + ids.map { ("id", $0) }
                + (q.map { [("q", $0)] } ?? []) + [("order", order), ("limit", String(limit)), ("offset", String(offset))]
        }

        /// The page (whole rows: the body shows them) and the count, as the origin answers.
        func answer(_ catalog: [Product]) -> (page: [Product], count: Int) {
            let matching = catalog.filter { p in
                p.status == "published"
                    && (categories.isEmpty || p.category.map(categories.contains) == true)
                    && (collections.isEmpty || p.collection.map(collections.contains) == true)
                    && (ids.isEmpty || ids.contains(p.id))
                    && (q.map { p.title.lowercased().contains($0.lowercased()) } ?? true)
            }
            let descending = order.hasPrefix("-")
            let sorted = matching.sorted { a, b in
                let ordered: Bool
                switch order.trimmingPrefix("-") {
                case "price": ordered = a.price != b.price ? a.price < b.price : a.id < b.id
                case "title": ordered = a.title != b.title ? a.title < b.title : a.id < b.id
                default: ordered = a.createdAt != b.createdAt ? a.createdAt < b.createdAt : a.id < b.id
                }
                return descending ? !ordered : ordered
            }
            return (Array(sorted.dropFirst(offset).prefix(limit)), matching.count)
        }
    }

    static let titles = ["Red Shirt", "Blue Shirt", "Green Hat", "Red Hat", "Shoe"]
    static let categories = ["c1", "c2", "c3"]
    static let collections = ["k1", "k2"]

    static func randomProduct(_ id: String, _ g: inout SeededGenerator) -> Product {
        Product(id: id, title: g.element(of: titles), price: Int.random(in: 1...5, using: &g), stock: Int.random(in: 0...3, using: &g),
                status: Bool.random(using: &g) || Bool.random(using: &g) ? "published" : "draft",
                category: g.element(of: categories + [nil]), collection: g.element(of: collections + [nil]), createdAt: Int.random(in: 1...6, using: &g))
    }

    static func randomQuery(_ catalog: [Product], _ g: inout SeededGenerator) -> ListQuery {
        var query = ListQuery()
        if Int.random(in: 0..<3, using: &g) == 0 { query.categories = Array(categories.shuffled(using: &g).prefix(Int.random(in: 1...2, using: &g))) }
        if Int.random(in: 0..<4, using: &g) == 0 { query.collections = [g.element(of: collections)] }
        if Int.random(in: 0..<6, using: &g) == 0, !catalog.isEmpty { query.ids = [g.element(of: catalog).id, g.element(of: catalog).id] }
        if Int.random(in: 0..<4, using: &g) == 0 { query.q = g.element(of: ["shirt", "red", "hat"]) }
        query.order = g.element(of: ["created_at", "-created_at", "price", "-price", "title", "-title"])
        query.limit = Int.random(in: 1...4, using: &g)
        query.offset = Int.random(in: 0...2, using: &g)
        return query
    }

    /// The notification the trigger sends for a change from `old` to `new` (nil: no row).
    static func event(_ old: Product?, _ new: Product?) -> InvalidationEvent {
        let id = (old ?? new)!.id
        var values: [String: [String]] = [:]
        for (column, value) in [("category_id", \Product.category), ("collection_id", \Product.collection)] {
            values[column] = Array(Set([old?[keyPath: value], new?[keyPath: value]].compactMap { $0 ?? nil })).sorted()
        }
        values["title"] = Array(Set([old?.title, new?.title].compactMap { $0 })).sorted()
        values["price"] = Array(Set([old?.price, new?.price].compactMap { $0 }.map(String.init))).sorted()
        guard let old, let new else {
            return .row(table: "product", op: old == nil ? .insert : .delete, ids: [id], commitTimeMicros: nil, change: RowChange(values: values))
        }
        var columns: [String] = []
        if old.title != new.title { columns.append("title") }
        if old.price != new.price { columns.append("price") }
        if old.stock != new.stock { columns.append("stock") }
        if old.status != new.status { columns.append("status") }
        if old.category != new.category { columns.append("category_id") }
        if old.collection != new.collection { columns.append("collection_id") }
        if old.createdAt != new.createdAt { columns.append("created_at") }
        return .row(table: "product", op: .update, ids: [id], commitTimeMicros: nil, change: RowChange(columns: columns + ["updated_at"], values: values))
    }

    /// Over generated catalogs, cached lists and writes: every list whose answer a write
    /// changes carries a tag the write drops (exact); a write of stock alone drops only the
    /// lists holding the product (precise).
    @Test func everyListAWriteChangesIsDropped() {
        let coarse = everyListAWriteChangesIsDropped(tagging: Self.listTagging)
        // Placed on the title and the price order, lists ordered by the changed column outlive
        // more of its changes (not only those of rows outside their filters).
        let ranged = everyListAWriteChangesIsDropped(tagging: Self.rangedListTagging)
        #expect(ranged > coarse, "lists ordered by the changed column kept: \(ranged) placed, \(coarse) coarse")
    }

    /// Answers how many lists ordered by title (price) a change of that column alone kept.
    func everyListAWriteChangesIsDropped(tagging: EntryTagging) -> Int {
        var g = SeededGenerator(seed: 17)
        var droppedLists = 0, changedLists = 0, checkedLists = 0, orderedKept = 0
        for _ in 0..<120 {
            var catalog = (0..<Int.random(in: 3...8, using: &g)).map { Self.randomProduct("p\($0)", &g) }
            var nextID = catalog.count
            let queries = (0..<25).map { _ in Self.randomQuery(catalog, &g) }
            for _ in 0..<10 {
                // Cache every list now: its answer and its tags.
                let cached = queries.map { query -> (query: ListQuery, answer: (page: [Product], count: Int), tags: Set<String>) in
                    let answer = query.answer(catalog)
                    let body = #"{"products":["# + answer.page.map { #"{"id":"\#($0.id)","title":"\#($0.title)","price":\#($0.price)}"# }.joined(separator: ",") + #"],"count":\#(answer.count)}"#
                    let tags = ["products"] + tagging.entryTags(known: tagging.queryTags(query.parameters), body: Array(body.utf8))!
                    return (query, answer, Set(tags))
                }
                // One write.
                let index = Int.random(in: 0..<catalog.count, using: &g)
                let old = catalog[index]
                let event: InvalidationEvent
                switch Int.random(in: 0..<10, using: &g) {
                case 0:
                    let inserted = Self.randomProduct("p\(nextID)", &g)
                    nextID += 1
                    catalog.append(inserted)
                    event = Self.event(nil, inserted)
                case 1 where catalog.count > 1:
                    catalog.remove(at: index)
                    event = Self.event(old, nil)
                default:
                    var changed = old
                    switch Int.random(in: 0..<7, using: &g) {
                    case 0: changed.title = g.element(of: Self.titles)
                    case 1: changed.price = Int.random(in: 1...5, using: &g)
                    case 2: changed.status = changed.status == "published" ? "draft" : "published"
                    case 3: changed.category = g.element(of: Self.categories + [nil])
                    case 4: changed.collection = g.element(of: Self.collections + [nil])
                    case 5: changed.createdAt = Int.random(in: 1...6, using: &g)
                    default: changed.stock = Int.random(in: 0...3, using: &g)
                    }
                    catalog[index] = changed
                    event = Self.event(old, changed)
                }
                let dropped = Self.map.resolve(event).tags
                for entry in cached {
                    checkedLists += 1
                    let now = entry.query.answer(catalog)
                    let changed = now.page != entry.answer.page || now.count != entry.answer.count
                    let isDropped = !entry.tags.isDisjoint(with: dropped)
                    if changed { changedLists += 1 }
                    if isDropped { droppedLists += 1 }
                    #expect(!changed || isDropped, "stale list \(entry.query.parameters) after \(event)")
                    if case .row(_, .update, _, _, let change?) = event, let column = change.columns?.first, change.columns == [column, "updated_at"],
                       ["title", "price"].contains(column), entry.query.order.hasSuffix(column), entry.query.q == nil, !isDropped {
                        orderedKept += 1
                    }
                    if case .row(_, .update, _, _, let change?) = event, change.columns == ["stock", "updated_at"] {
                        #expect(isDropped == entry.answer.page.contains { $0.id == old.id })
                    }
                    // A price change drops, besides the lists holding the row, only unfiltered
                    // lists and lists with a filter value the row has (a list filtered on two
                    // dimensions goes when the row matches one: its tags do not say both).
                    if case .row(_, .update, _, _, let change?) = event, change.columns == ["price", "updated_at"], isDropped {
                        let query = entry.query
                        let unfiltered = query.categories.isEmpty && query.collections.isEmpty && query.ids.isEmpty
                        let sharesAFilterValue = (old.category.map(query.categories.contains) ?? false)
                            || (old.collection.map(query.collections.contains) ?? false) || query.ids.contains(old.id)
                        #expect(unfiltered || sharesAFilterValue || entry.answer.page.contains { $0.id == old.id },
                                "\(query.parameters) dropped by \(event)")
                    }
                }
            }
        }
        #expect(changedLists > 0 && droppedLists < checkedLists)
        return orderedKept
    }
}
