/// Text-array literals for binding a list to one `$n::text[]` parameter (e.g. `id = ANY($1::text[])`).
///
/// Invariant: every element is double-quoted with `"` and `\\` backslash-escaped, so any string
/// (including empty, NULL-looking or comma-containing ones) round-trips as itself.
public enum PostgresTextArray {
    /// Formats strings as a PostgreSQL text-array literal (`{"a","b"}`) for a `$n::text[]` parameter.
    public static func literal(_ values: [String]) -> String {
        var out = "{"
        for (i, v) in values.enumerated() {
            if i > 0 { out.append(",") }
            out.append("\"")
            for ch in v.unicodeScalars {
                if ch == "\"" || ch == "\\" { out.append("\\") }
                out.unicodeScalars.append(ch)
            }
            out.append("\"")
        }
        out.append("}")
        return out
    }
}
