/// Which primary serves each of the 16384 slots, as `CLUSTER SLOTS` last said, corrected by
/// `MOVED` replies since.
///
/// Invariants: ``primary(forSlot:)`` answers in O(1) from a table of 16384 node indexes;
/// every index in the table is either ``unassigned`` or a valid index into ``primaries``;
/// a node appears once in ``primaries``.
public struct ClusterSlotMap: Sendable, Hashable {
    public private(set) var primaries: [ServerAddress] = []
    private var owners = [UInt16](repeating: Self.unassigned, count: ClusterKeySlot.count)
    private static let unassigned = UInt16.max

    public init() {}

    /// A map from `(first slot, last slot, primary)` ranges; ranges outside 0...16383 are clamped.
    public init(ranges: [(first: Int, last: Int, primary: ServerAddress)]) {
        for range in ranges {
            let first = max(0, range.first), last = min(ClusterKeySlot.count - 1, range.last)
            guard first <= last else { continue }
            let index = self.index(of: range.primary)
            for slot in first...last { owners[slot] = index }
        }
    }

    /// The primary serving `slot`, or nil when no node does (or `slot` is out of range).
    public func primary(forSlot slot: Int) -> ServerAddress? {
        guard owners.indices.contains(slot) else { return nil }
        let index = owners[slot]
        return index == Self.unassigned ? nil : primaries[Int(index)]
    }

    /// True when no slot has a primary (nothing fetched yet).
    public var isEmpty: Bool { primaries.isEmpty }

    /// How many slots have a primary (16384 for a healthy cluster).
    public var coveredSlots: Int { owners.count { $0 != Self.unassigned } }

    /// Records a `MOVED`: `slot` is now served by `primary`.
    public mutating func assign(slot: Int, to primary: ServerAddress) {
        guard owners.indices.contains(slot) else { return }
        owners[slot] = index(of: primary)
    }

    private mutating func index(of node: ServerAddress) -> UInt16 {
        if let existing = primaries.firstIndex(of: node) { return UInt16(existing) }
        primaries.append(node)
        return UInt16(primaries.count - 1)
    }
}
