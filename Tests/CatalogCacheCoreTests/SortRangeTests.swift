import CatalogTestSupport
import Testing

@testable import CatalogCacheCore

/// `SortRange`: a page and a change share a tag exactly when the page's node meets the
/// changed interval, so every page a change can reorder is dropped (checked over every page
/// and every change of a one-level tree, and sampled on deeper ones), and pages away from it
/// are kept.
@Suite struct SortRangeTests {
    /// The leaf with this index among `16^depth`.
    func leaf(_ index: Int, depth: Int) -> [UInt8] {
        (0..<depth).reversed().map { UInt8((index >> (4 * $0)) & 15) }
    }

    func index(_ nibbles: some Collection<UInt8>) -> Int { nibbles.reduce(0) { $0 * 16 + Int($1) } }

    /// The leaves of the smallest node holding `low...high`.
    func nodeSpan(_ low: [UInt8], _ high: [UInt8]) -> ClosedRange<Int> {
        let shared = zip(low, high).prefix { $0 == $1 }.count
        let width = 1 << (4 * (low.count - shared))
        let start = index(low.prefix(shared)) * width
        return start...(start + width - 1)
    }

    func check(page: (Int, Int), change: (Int, Int), depth: Int) {
        let (pl, ph) = (leaf(page.0, depth: depth), leaf(page.1, depth: depth))
        let (cl, ch) = (leaf(change.0, depth: depth), leaf(change.1, depth: depth))
        let shared = !Set(SortRange.pageTags(scope: "s", low: pl, high: ph)).isDisjoint(with: SortRange.dropTags(scope: "s", low: cl, high: ch))
        let spanMeets = page.0 <= change.1 && change.0 <= page.1
        let nodeMeets = nodeSpan(pl, ph).overlaps(change.0...change.1)
        #expect(shared == nodeMeets, "page \(page) change \(change) depth \(depth)")
        if spanMeets { #expect(shared, "page \(page) change \(change) depth \(depth): a page the change can reorder keeps no shared tag") }
    }

    @Test func everyPageAndEveryChangeOfOneLevel() {
        for pl in 0..<16 { for ph in pl..<16 { for cl in 0..<16 { for ch in cl..<16 {
            check(page: (pl, ph), change: (cl, ch), depth: 1)
        } } } }
    }

    @Test func sampledPagesAndChangesOfDeeperTrees() {
        var g = SeededGenerator(seed: 0x5047)
        for depth in [2, 3] {
            let leaves = 1 << (4 * depth)
            for _ in 0..<15_000 {
                let a = Int.random(in: 0..<leaves, using: &g)
                // Narrow pages, like a page of a long list, as well as wide ones.
                let b = Bool.random(using: &g) ? min(leaves - 1, a + Int.random(in: 0...3, using: &g)) : Int.random(in: a..<leaves, using: &g)
                let c = Int.random(in: 0..<leaves, using: &g)
                let d = Int.random(in: 0..<leaves, using: &g)
                check(page: (a, b), change: (min(c, d), max(c, d)), depth: depth)
            }
        }
    }

    @Test func leavesFollowByteOrder() {
        let words = ["", "A", "Aa", "Ab", "B", "Zebra", "a", "apple", "z", "é", "€uro", "😀"].sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        for (x, y) in zip(words, words.dropFirst()) {
            #expect(!SortRange.leaf(y, depth: 3).lexicographicallyPrecedes(SortRange.leaf(x, depth: 3)), "\(x) < \(y)")
        }
        #expect(SortRange.leaf("Ai", depth: 3) == [4, 1, 6])
        #expect(SortRange.leaf("", depth: 3) == [0, 0, 0])
    }

    @Test func integerLeavesFollowNumericOrder() {
        var g = SeededGenerator(seed: 0x1E7)
        let numbers = ([0, 1, 9, 15, 16, 255, 256, 4095, 4096, 24599, 65535, 65536, 1 << 40] + (0..<300).map { _ in Int.random(in: 0...1_000_000, using: &g) }).sorted()
        for (x, y) in zip(numbers, numbers.dropFirst()) {
            let (lx, ly) = (SortRange.leaf(String(x), order: .integer, depth: 3)!, SortRange.leaf(String(y), order: .integer, depth: 3)!)
            #expect(!ly.lexicographicallyPrecedes(lx), "\(x) < \(y)")
        }
        #expect(SortRange.leaf("24599", order: .integer, depth: 3) == [3, 6, 0])  // 0x6017: four digits
        // What has no place: negative, fractional, exponent, empty, too long.
        for text in ["-1", "2.5", "1e3", "", "1234567890123456789", "0x10"] { #expect(SortRange.leaf(text, order: .integer, depth: 3) == nil, "\(text)") }
        #expect(SortRange.dropTags(scope: "s", values: ["100", "-5"], order: .integer) == nil)
        #expect(SortRange.pageTags(scope: "s", values: ["100", "2.5"], order: .integer) == nil)
    }

    @Test func aRenameAcrossTheListDropsThePagesBetweenOnly() {
        // Pages of titles starting "Ai", "Bo", "Fl", "Wo"; a rename from "Bold ..." to "Flash ...".
        let pages = ["Airy", "Bold", "Flax", "Woven"].map { SortRange.pageTags(scope: "products:range:title:all", values: [$0 + " Cotton", $0 + " Linen"])! }
        let drop = Set(SortRange.dropTags(scope: "products:range:title:all", values: ["Bold Cotton Shirt", "Flash sale 7"])!)
        #expect(pages.map { !drop.isDisjoint(with: $0) } == [false, true, true, false])
        #expect(drop.count <= 2 * 15 * SortRange.depth + 2 * SortRange.depth)
    }

    @Test func aListOrderedByARangedKeyIsPlacedByItsBody() {
        let t = PreciseInvalidationTests.rangedListTagging
        // Prices place pages as numbers; one without a place keeps the pending tag.
        let byPrice = t.queryTags([("order", "price")])
        #expect(byPrice == ["products:where:all", "products:sort:price", "products:range:price:all"])
        #expect(t.entryTags(known: byPrice, body: Array(#"{"products":[{"id":"p1","price":900},{"id":"p2","price":24599}]}"#.utf8))
                == ["products:where:all", "products:sort:price"] + SortRange.pageTags(scope: "products:range:price:all", values: ["900", "24599"], order: .integer)! + ["product:p1", "product:p2"])
        #expect(t.entryTags(known: byPrice, body: Array(#"{"products":[{"id":"p1","price":9.5}]}"#.utf8)) == byPrice + ["product:p1"])
        #expect(t.entryTags(known: byPrice, body: Array(#"{"products":[{"id":"p1","price":"900"}]}"#.utf8)) == byPrice + ["product:p1"])
        let known = t.queryTags([("category_id", "c1"), ("order", "-title"), ("limit", "2")])
        #expect(known == ["products:where:category_id=c1", "products:sort:title", "products:range:title:category_id=c1"])
        let body = Array(#"{"products":[{"id":"p2","title":"Bold Shirt"},{"id":"p1","title":"Airy Hat"}],"count":9}"#.utf8)
        #expect(t.entryTags(known: known, body: body) == ["products:where:category_id=c1", "products:sort:title"]
                + SortRange.pageTags(scope: "products:range:title:category_id=c1", values: ["Airy Hat", "Bold Shirt"])!
                + ["product:p2", "product:p1", "products:count"])
        // An empty page: no place (a rename moves no row into it).
        #expect(t.entryTags(known: known, body: Array(#"{"products":[],"count":9}"#.utf8)) == ["products:where:category_id=c1", "products:sort:title", "products:count"])
        // A row without its title: the pending tag stays (the rule drops it too).
        #expect(t.entryTags(known: known, body: Array(#"{"products":[{"id":"p2"}]}"#.utf8)) == known + ["product:p2"])
        // Other orders, and lists with an unknown parameter, keep the scoped sort tags.
        #expect(t.queryTags([("order", "created_at")]) == ["products:where:all", "products:sort:created_at", "products:sort:created_at:all"])
        #expect(t.queryTags([("order", "title"), ("region_id", "r")]).contains("products:sort:title:all"))
        // A list filtered by id is not placed: its own rows' changes drop it.
        #expect(t.queryTags([("id", "p1"), ("category_id", "c1"), ("order", "title")])
                == ["products:where:id=p1", "products:where:category_id=c1", "products:sort:title", "products:sort:title:id=p1", "products:sort:title:category_id=c1"])
        #expect(t.entryTags(known: ["products:sort:price:all"], body: body) == ["products:sort:price:all", "product:p2", "product:p1", "products:count"])
        #expect(t.entryTags(known: known, body: Array("not json".utf8)) == nil)
    }
}
