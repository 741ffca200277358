/// Where a list page sits on a text sort order, as tags, so that a change of one row's sort
/// value drops only the pages whose span that change can cross.
///
/// A value's *leaf* is the first `depth` nibbles (half-bytes) of its UTF-8 bytes, padded
/// with zeros: monotone in byte order (`a <= b` gives `leaf(a) <= leaf(b)`), which is the
/// order of a column sorted with the `C` collation. Leaves are the bottom of a 16-ary tree
/// whose nodes are nibble prefixes; the root is the empty prefix.
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

    /// The tags of a page holding `values` (at least one).
    public static func pageTags(scope: String, values: some Sequence<String>, depth: Int = depth) -> [String] {
        let leaves = values.map { leaf($0, depth: depth) }
        guard let low = leaves.min(by: { $0.lexicographicallyPrecedes($1) }),
              let high = leaves.max(by: { $0.lexicographicallyPrecedes($1) }) else { return [] }
        return pageTags(scope: scope, low: low, high: high)
    }

    /// The tags a change of a row's sort value among `values` (old and new, at least one)
    /// drops: every page whose span meets `[min, max]` of them carries one.
    public static func dropTags(scope: String, values: some Sequence<String>, depth: Int = depth) -> [String] {
        let leaves = values.map { leaf($0, depth: depth) }
        guard let low = leaves.min(by: { $0.lexicographicallyPrecedes($1) }),
              let high = leaves.max(by: { $0.lexicographicallyPrecedes($1) }) else { return [] }
        return dropTags(scope: scope, low: low, high: high)
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
