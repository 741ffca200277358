/// The kind of row change reported by a database trigger.
public enum RowOperation: String, Sendable, CaseIterable {
    case insert = "INSERT"
    case update = "UPDATE"
    case delete = "DELETE"
    case truncate = "TRUNCATE"
}
