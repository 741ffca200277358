/// Which statement texts a connection has prepared, under which names: a bounded LRU map.
///
/// PostgreSQL parses and plans an unnamed statement (`PQexecParams`) anew on every call. For the
/// origin's JSON-building queries that planning is most of the database's time, so a connection
/// prepares each text once (`PQprepare`) and afterwards only binds and executes it.
///
/// Invariants:
/// - At most `capacity` texts are held; a capacity of 0 holds none (every statement unnamed).
/// - Names are never reused within one cache (`s1`, `s2`, ...), so a name the server still holds
///   after `forget` cannot be mistaken for another text.
/// - `use` on a full cache evicts the least recently used text and returns its name, which the
///   caller deallocates on the server.
/// - Pure: no libpq; the connection executes what it is told.
public struct PreparedStatementCache: Sendable {
    /// What the connection does for one statement.
    public enum Decision: Equatable, Sendable {
        /// The text is prepared under `name`: bind and execute it.
        case execute(name: String)
        /// Prepare the text as `name` first (after deallocating `evicting`, if any), then execute.
        case prepare(name: String, evicting: String?)
        /// Run the text unnamed (the cache is off).
        case unnamed
    }

    public let capacity: Int
    private var names: [String: Entry] = [:]
    private var clock: UInt64 = 0
    private var nextName: UInt64 = 0

    private struct Entry: Sendable {
        var name: String
        var lastUse: UInt64
    }

    public init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    /// Texts currently held.
    public var count: Int { names.count }

    /// The names of the texts held, in no particular order.
    public var preparedNames: [String] { names.values.map(\.name) }

    /// Looks `sql` up, marking it most recently used; a miss reserves a fresh name for it.
    ///
    /// The caller must call `forget(sql)` if preparing the reserved name fails.
    public mutating func use(_ sql: String) -> Decision {
        guard capacity > 0 else { return .unnamed }
        clock += 1
        if var entry = names[sql] {
            entry.lastUse = clock
            names[sql] = entry
            return .execute(name: entry.name)
        }
        var evicted: String? = nil
        if names.count >= capacity, let oldest = names.min(by: { $0.value.lastUse < $1.value.lastUse }) {
            evicted = oldest.value.name
            names[oldest.key] = nil
        }
        nextName += 1
        let name = "s\(nextName)"
        names[sql] = Entry(name: name, lastUse: clock)
        return .prepare(name: name, evicting: evicted)
    }

    /// Drops `sql` (its preparation failed, or the server no longer holds a usable plan for it);
    /// returns the name it had, if any.
    @discardableResult
    public mutating func forget(_ sql: String) -> String? {
        names.removeValue(forKey: sql)?.name
    }

    /// Drops everything: the session that held the statements is gone (a reset or reconnect).
    public mutating func removeAll() {
        names.removeAll()
    }
}
