/// Splits an origin-form request target (`/store/products?limit=10`) into its path and query.
public enum RequestTarget {
    /// The text before the first `?` as the path, and the text after it as the query (nil
    /// when there is no `?`; empty when the target ends in `?`). A `#` fragment is not split
    /// off: clients never send one, and `PathNormalizer` rejects it if it appears in the path.
    public static func split(_ target: String) -> (path: String, query: Substring?) {
        guard let mark = target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return (target, nil) }
        return (String(target[..<mark]), target[target.index(after: mark)...])
    }
}
