/// Lookups over a response's header fields kept as `[HeaderField]` (names compared
/// case-insensitively, field lines kept in order).
extension Array where Element == HeaderField {
    /// Every field line named `name`, in order.
    public func values(_ name: String) -> [String] {
        compactMap { HTTPToken.equalsIgnoringCase($0.name.utf8, name.utf8) ? $0.value : nil }
    }

    /// The first field line named `name`.
    public func first(_ name: String) -> String? {
        first { HTTPToken.equalsIgnoringCase($0.name.utf8, name.utf8) }?.value
    }

    /// Removes every line of each name in `names` (lowercased names).
    public func removing(_ names: Set<String>) -> [HeaderField] {
        guard !names.isEmpty else { return self }
        return filter { !names.contains(HTTPToken.lowercased($0.name)) }
    }
}
