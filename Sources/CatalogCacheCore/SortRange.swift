/// Where a list page sits on a sort order, as tags, so that a change of one row's sort
/// value drops only the pages whose span that change can cross.
///
/// A value's *leaf* is `depth` nibbles (half-bytes), monotone in the column's order
/// (`a <= b` gives `leaf(a) <= leaf(b)`), per `Order`:
/// - `bytes`: the first nibbles of its UTF-8 bytes, padded with zeros: the order of a text
///   column sorted with the `C` collation;
/// - `integer`: the number of its hexadecimal digits less one, then those digits, padded
///   with zeros: numeric order of non-negative integers (more digits is larger; as many
///   digits, the digits decide). Other values have no leaf.
///
/// Leaves are the bottom of a 16-ary tree whose nodes are nibble prefixes; the root is the
/// empty prefix.
///
/// - A page holding values `v1...vn` spans the leaves `leaf(min)...leaf(max)`; its node `P` is
///   their longest common prefix (the smallest node holding the whole span). The page is
///   tagged `<scope>@in:<A>` for `P` and each of its ancestors `A`, and `<scope>@at:<P>`.
/// - A change moving a row's value from `old` to `new` can reorder only the pages whose span
///   meets `[min(old, new), max(old, new)]`. Its drop tags: `<scope>@in:<c>` for each node `c` of
///   the canonical cover of those leaves (the fewest nodes exactly covering them), and
///   `<scope>@at:<a>` for each node `a` partly covered (a proper ancestor of a cover node).
///
/// Invariant (exact): a page whose span meets the changed interval shares a tag with the
/// change. Its node `P` meets the interval, and a node meeting it either lies inside a cover
/// node `c` (the page carries `in:c`) or holds one and is only partly covered (the change
/// drops `at:P`). Conversely a shared tag means `P` meets the interval: precision is lost only
/// to truncation (values equal in their first `depth` nibbles) and to `P` being wider than
/// the page's span.
public enum SortRange {
    /// Nibbles of each value kept: 1.5 bytes. A deeper tree places pages more finely but
    /// multiplies the tags a change drops, each of which leaves a mark in the store.
    public static let depth = 3

    /// How a column's values are ordered, and so how they become leaves.
    public enum Order: String, Sendable, Equatable, CaseIterable {
        case bytes, integer
    }

    /// The tags of a page holding `values` (at least one), or nil when one has no leaf.
    public static func pageTags(scope: String, values: some Sequence<String>, order: Order = .bytes) -> [String]? {
        guard let (low, high) = span(values, order: order) else { return nil }
        return pageTags(scope: scope, low: low, high: high)
    }

    /// The tags a change of a row's sort value among `values` (old and new, at least one)
    /// drops: every page whose span meets `[min, max]` of them carries one. Nil when a value
    /// has no leaf (the caller then falls back to a coarser rule).
    public static func dropTags(scope: String, values: some Sequence<String>, order: Order = .bytes) -> [String]? {
        guard let (low, high) = span(values, order: order) else { return nil }
        return dropTags(scope: scope, low: low, high: high)
    }

    /// The lowest and highest leaf of `values`; nil when there is none or one has no leaf.
    private static func span(_ values: some Sequence<String>, order: Order) -> (low: [UInt8], high: [UInt8])? {
        var low: [UInt8]?
        var high: [UInt8]?
        for value in values {
            guard let l = leaf(value, order: order) else { return nil }
            if low.map({ l.lexicographicallyPrecedes($0) }) ?? true { low = l }
            if high.map({ $0.lexicographicallyPrecedes(l) }) ?? true { high = l }
        }
        guard let low, let high else { return nil }
        return (low, high)
    }

    /// A page spanning the leaves `low...high` (of equal length).
    static func pageTags(scope: String, low: [UInt8], high: [UInt8]) -> [String] {
        let shared = zip(low, high).prefix { $0 == $1 }.count
        var tags = (0...shared).map { scope + "@in:" + hex(low.prefix($0)) }
        tags.append(scope + "@at:" + hex(low.prefix(shared)))
        return tags
    }

    /// A change over the leaves `low...high` (of equal length).
    static func dropTags(scope: String, low: [UInt8], high: [UInt8]) -> [String] {
        var tags: [String] = []
        cover(prefix: [], low: low, high: high, depth: low.count) { node, whole in
            tags.append(scope + (whole ? "@in:" : "@at:") + hex(node))
        }
        return tags
    }

    /// Visits the nodes under `prefix` meeting `[low, high]`: `whole` for cover nodes (not
    /// descended into), not `whole` for partly covered ones.
    private static func cover(prefix: [UInt8], low: [UInt8], high: [UInt8], depth: Int, _ visit: (_ node: [UInt8], _ whole: Bool) -> Void) {
        let level = prefix.count
        // Within this node, the leaves run from all-0 to all-f below the prefix.
        let lowInside = low.starts(with: prefix)
        let highInside = high.starts(with: prefix)
        let coversFirst = !lowInside || low[level...].allSatisfy { $0 == 0 }
        let coversLast = !highInside || high[level...].allSatisfy { $0 == 15 }
        if level == depth || (coversFirst && coversLast) {
            visit(prefix, true)
            return
        }
        visit(prefix, false)
        let first = lowInside ? low[level] : 0
        let last = highInside ? high[level] : 15
        for digit in first...last {
            cover(prefix: prefix + [digit], low: low, high: high, depth: depth, visit)
        }
    }

    /// `value`'s leaf in `order`, or nil when it has none.
    static func leaf(_ value: String, order: Order, depth: Int = depth) -> [UInt8]? {
        switch order {
        case .bytes: return leaf(value, depth: depth)
        case .integer:
            // Decimal digits only (what PostgreSQL prints for a non-negative integer and JSON
            // for a non-negative whole number), at most 18 so it fits.
            guard !value.isEmpty, value.utf8.count <= 18, value.utf8.allSatisfy({ (48...57).contains($0) }), let number = UInt64(value) else { return nil }
            let digits = Array(String(number, radix: 16).utf8).map { $0 <= 57 ? $0 - 48 : $0 - 87 }
            var nibbles = [UInt8(digits.count - 1)] + digits
            nibbles = Array(nibbles.prefix(depth))
            while nibbles.count < depth { nibbles.append(0) }
            return nibbles
        }
    }

    /// The first `depth` nibbles of `value`'s UTF-8 bytes, zero-padded.
    static func leaf(_ value: String, depth: Int) -> [UInt8] {
        var nibbles: [UInt8] = []
        nibbles.reserveCapacity(depth)
        for byte in value.utf8 {
            guard nibbles.count < depth else { break }
            nibbles.append(byte >> 4)
            if nibbles.count < depth { nibbles.append(byte & 15) }
        }
        while nibbles.count < depth { nibbles.append(0) }
        return nibbles
    }

    private static let digits = Array("0123456789abcdef")

    static func hex(_ nibbles: some Sequence<UInt8>) -> String {
        String(nibbles.map { digits[Int($0)] })
    }
}
