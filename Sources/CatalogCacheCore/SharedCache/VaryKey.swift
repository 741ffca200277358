/// Secondary cache keys from `Vary` (RFC 9111 §4.1).
///
/// Invariants: field names are lowercased, de-duplicated and sorted, so `Vary: B, a` and
/// `Vary: A` + `Vary: b` nominate the same headers; `*` anywhere makes the response match no
/// request (`fieldNames` is nil). A nominated header's value is normalised by joining its
/// field lines with `, ` and trimming whitespace around each list element, so `a,b`,
/// `a, b` and two lines `a` / `b` select the same variant; an absent header is distinct from
/// an empty one. The secondary key is a digest, so values never reach Redis key names.
public enum VaryKey {
    /// The nominated header names, or nil for `Vary: *`.
    public static func fieldNames(_ varyValues: [String]) -> [String]? {
        var names = Set<String>()
        for value in varyValues {
            for member in value.split(separator: ",") {
                let name = HTTPToken.lowercased(String(member.trimmingWhitespace()))
                if name == "*" { return nil }
                if !name.isEmpty { names.insert(name) }
            }
        }
        return names.sorted()
    }

    /// A header's value normalised for comparison; nil when the header is absent.
    public static func normalisedValue(_ lines: [String]) -> String? {
        guard !lines.isEmpty else { return nil }
        return lines.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }
            .map { String($0.trimmingWhitespace()) }
            .joined(separator: ",")
    }

    /// The secondary key of a request for the nominated `names` (from `fieldNames`): empty
    /// when nothing varies, else 32 hex digits of a SHA-256 over the names and the request's
    /// normalised values.
    public static func secondaryKey(names: [String], requestValues: (String) -> [String]) -> String {
        guard !names.isEmpty else { return "" }
        var material: [UInt8] = []
        for name in names {
            material.append(contentsOf: name.utf8)
            if let value = normalisedValue(requestValues(name)) {
                material.append(1)
                material.append(contentsOf: value.utf8)
            }
            material.append(0)
        }
        return String(SHA256.hex(material).prefix(32))
    }
}
