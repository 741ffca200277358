/// A doubly linked list of distinct keys with O(1) push, remove, move-to-front and back,
/// each costing one hash-table operation on the key (the links are array indices).
///
/// Invariants: `slots` maps exactly the keys in the list to their nodes; the nodes reachable
/// from `first` through `next` are those keys, most recent first, ending at `last`; a node not
/// in use is on `free` (its key emptied, so the list holds no key it does not contain).
struct KeyedLRUList {
    private struct Node {
        var key: String
        var prev: Int
        var next: Int
    }

    private static let none = -1
    private var nodes: [Node] = []
    private var free: [Int] = []
    private var slots: [String: Int] = [:]
    private var first = none
    private var last = none

    var head: String? { first == Self.none ? nil : nodes[first].key }
    var tail: String? { last == Self.none ? nil : nodes[last].key }
    var back: String? { tail }
    var count: Int { slots.count }
    func contains(_ key: String) -> Bool { slots[key] != nil }

    mutating func pushFront(_ key: String) {
        precondition(slots[key] == nil, "key already in the list")
        let index: Int
        if let reused = free.popLast() {
            index = reused
            nodes[index].key = key
        } else {
            index = nodes.count
            nodes.append(Node(key: key, prev: Self.none, next: Self.none))
        }
        slots[key] = index
        linkFront(index)
    }

    mutating func remove(_ key: String) {
        guard let index = slots.removeValue(forKey: key) else { return }
        unlink(index)
        nodes[index].key = ""
        free.append(index)
    }

    /// Moves `key` to the front; false (nothing changed) when it is not in the list.
    @discardableResult
    mutating func moveToFront(_ key: String) -> Bool {
        guard let index = slots[key] else { return false }
        if index != first {
            unlink(index)
            linkFront(index)
        }
        return true
    }

    private mutating func linkFront(_ index: Int) {
        nodes[index].prev = Self.none
        nodes[index].next = first
        if first != Self.none { nodes[first].prev = index }
        first = index
        if last == Self.none { last = index }
    }

    private mutating func unlink(_ index: Int) {
        let p = nodes[index].prev
        let n = nodes[index].next
        if p != Self.none { nodes[p].next = n } else { first = n }
        if n != Self.none { nodes[n].prev = p } else { last = p }
        nodes[index].prev = Self.none
        nodes[index].next = Self.none
    }
}
