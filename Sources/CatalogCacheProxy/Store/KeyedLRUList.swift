/// A doubly linked list of distinct keys with O(1) push, remove, move-to-front and back.
///
/// Invariant: `prev`/`next` hold exactly the keys in the list; `head` is the most recent,
/// `tail` the least recent.
struct KeyedLRUList {
    private var prev: [String: String] = [:]
    private var next: [String: String] = [:]
    private var members: Set<String> = []
    private(set) var head: String?
    private(set) var tail: String?

    var back: String? { tail }
    var count: Int { members.count }
    func contains(_ key: String) -> Bool { members.contains(key) }

    mutating func pushFront(_ key: String) {
        precondition(!members.contains(key), "key already in the list")
        members.insert(key)
        if let head {
            next[key] = head
            prev[head] = key
        }
        head = key
        if tail == nil { tail = key }
    }

    mutating func remove(_ key: String) {
        guard members.remove(key) != nil else { return }
        let p = prev.removeValue(forKey: key)
        let n = next.removeValue(forKey: key)
        if let p { next[p] = n } else { head = n }
        if let n { prev[n] = p } else { tail = p }
    }

    mutating func moveToFront(_ key: String) {
        guard head != key else { return }
        remove(key)
        pushFront(key)
    }
}
