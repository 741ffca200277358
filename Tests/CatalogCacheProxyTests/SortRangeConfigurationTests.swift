import CatalogCacheCore
import Foundation
import Testing

@testable import CatalogCacheProxy

/// `entry_tags.sort.ranges` and a change rule's `ranges`: read from the shipped file, and
/// refused with the field named when they cannot work.
@Suite struct SortRangeConfigurationTests {
    static let route = "routes:\n  - { name: products, path: /store/products, key: k, ttl: 5, entry_tags: "

    func error(_ yaml: String) -> String {
        do {
            _ = try ConfigurationLoader.parse(yaml: yaml)
            return "parsed"
        } catch {
            return "\(error)"
        }
    }

    @Test func theShippedFilePlacesListsOrderedByTitle() throws {
        let c = try ConfigurationLoader.load(path: ConfigurationLoaderTests.shippedConfig)
        #expect(c.entryTagging["products"]?.sortRanges == ["title": .init(field: "title"), "price": .init(field: "price", order: .integer)])
        #expect(c.entryTagging["products"]?.notPlacedWith == ["id"])
        let title = c.tables.first { $0.name == "product" }?.mapping.changes.first { $0.columns == ["title"] }
        #expect(title?.rangeColumn == "title")
        #expect(title?.rangeScopes.contains("products:range:title:all") == true)
        #expect(c.tables.first { $0.name == "product" }?.mapping.valueColumns.contains("title") == true)
    }

    @Test func rangesMustNameASortKeyAndReadRows() {
        let unknownKey = Self.route + "{ ids: [{ member: products, tag: \"product:{id}\" }], sort: { parameter: order, keys: [title], ranges: { price: price } } } }\n"
        #expect(error(unknownKey).contains("routes[0].entry_tags.sort.ranges"))
        #expect(error(unknownKey).contains("\"price\" must be one of keys"))
        let noIDs = Self.route + "{ sort: { parameter: order, keys: [title], ranges: { title: title } } } }\n"
        #expect(error(noIDs).contains("needs ids"))
    }

    @Test func aRangeRuleNeedsAColumnAndScopes() {
        let routes = "routes:\n  - { name: a, path: /x, key: k, ttl: 5 }\n"
        func table(_ ranges: String) -> String {
            "invalidation:\n  tables:\n    product:\n      tags: [products]\n      changes:\n        - columns: [title]\n          tags: [x]\n          ranges: \(ranges)\n" + routes
        }
        #expect(error(table("{ column: title }")).contains("needs column (an SQL identifier) and tags"))
        #expect(error(table("{ column: \"ti tle\", tags: [s] }")).contains("needs column"))
        #expect(error(table("{ column: title, tags: [\"s@in:\"] }")).contains("must not contain @"))
        #expect(error(table("{ column: title, tags: [\"s:{a}{b}\"] }")).contains("one placeholder at most"))
        #expect(error(table("{ column: title, tags: [\"products:range:title:all\"] }")) == "parsed")
    }

    static func file(placed: Bool, dropped: Bool) -> String {
        let sort = placed ? "{ parameter: order, keys: [title], ranges: { title: title } }" : "{ parameter: order, keys: [title] }"
        let ranges = dropped ? "\n          ranges: { column: title, tags: [\"products:range:title:all\"] }" : ""
        return "invalidation:\n  tables:\n    product:\n      tags: [products]\n      changes:\n        - columns: [title]\n          tags: [\"products:sort:title:all\"]\(ranges)\n"
            + route + "{ ids: [{ member: products, tag: \"product:{id}\" }], sort: \(sort) } }\n"
    }

    @Test func placedPagesNeedARuleThatDropsTheirPlaces() throws {
        #expect(error(Self.file(placed: true, dropped: false)).contains("route products places its lists on title, but no invalidation.tables rule"))
        #expect(error(Self.file(placed: true, dropped: true)) == "parsed")
        #expect(error(Self.file(placed: false, dropped: true)) == "parsed")
        // Every scope a placed page can carry needs a rule: a filter's too, unless not placed.
        let filtered = Self.file(placed: true, dropped: true).replacingOccurrences(of: "sort: {", with: "filters: [category_id], sort: {")
        #expect(error(filtered).contains("naming products:range:title:category_id=... with the same order"))
        #expect(error(filtered.replacingOccurrences(of: "keys: [title],", with: "keys: [title], not_placed_with: [category_id],")) == "parsed")
        let wrongOrder = Self.file(placed: true, dropped: true).replacingOccurrences(of: "ranges: { column: title,", with: "ranges: { column: title, order: integer,")
        #expect(error(wrongOrder).contains("naming products:range:title:all... with the same order"))
    }

    /// Routes reload, table rules wait for a restart: a reload adding both keeps the routes'
    /// ranges for the restart too, so no page is placed where the running rules drop nothing.
    @Test func aReloadPlacesPagesOnlyWithRunningRulesThatDropThem() throws {
        let coarse = try ConfigurationLoader.parse(yaml: Self.file(placed: false, dropped: false))
        let placed = try ConfigurationLoader.parse(yaml: Self.file(placed: true, dropped: true))
        let adding = ReloadPlan(running: coarse, loaded: placed)
        #expect(adding.effective.entryTagging["products"]?.sortRanges == [:])
        #expect(adding.keptForRestart.contains("routes[].entry_tags.sort.ranges"))
        #expect(adding.effective.unmatchedSortRanges.isEmpty)
        // With the rules running already, the routes' ranges apply.
        let rulesFirst = try ConfigurationLoader.parse(yaml: Self.file(placed: false, dropped: true))
        let applied = ReloadPlan(running: rulesFirst, loaded: placed)
        #expect(applied.effective.entryTagging["products"]?.sortRanges == ["title": .init(field: "title")])
        #expect(!applied.keptForRestart.contains("routes[].entry_tags.sort.ranges"))
    }
}
