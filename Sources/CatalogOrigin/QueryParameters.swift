/// A decoded `application/x-www-form-urlencoded` query string.
///
/// Invariants: keeps every occurrence in order (so `id=a&id=b` yields both); `+` decodes to a
/// space; a malformed percent escape makes the whole query invalid rather than half-decoded.
struct QueryParameters: Sendable {
    private(set) var pairs: [(name: String, value: String)] = []

    init(_ query: String?) throws(APIError) {
        guard let query, !query.isEmpty else { return }
        for part in query.split(separator: "&", omittingEmptySubsequences: true) {
            let name: Substring
            let value: Substring
            if let eq = part.firstIndex(of: "=") {
                name = part[..<eq]
                value = part[part.index(after: eq)...]
            } else {
                name = part
                value = ""
            }
            guard let n = Self.decode(name), let v = Self.decode(value) else {
                throw .invalid("query string contains an invalid percent-encoding")
            }
            pairs.append((n, v))
        }
    }

    /// Every value given for any of `names`, in order.
    func all(_ names: String...) -> [String] {
        pairs.filter { names.contains($0.name) }.map(\.value)
    }

    /// Throws Medusa v2's 400 (`Invalid request: Unrecognized fields: 'x'`) when a parameter
    /// is not in `known`; a trailing `[]` (array syntax) is ignored for the comparison.
    func rejectUnknown(_ known: Set<String>) throws(APIError) {
        var unknown: [String] = []
        for (name, _) in pairs {
            let base = name.hasSuffix("[]") ? String(name.dropLast(2)) : name
            if !known.contains(base), !unknown.contains(base) { unknown.append(base) }
        }
        if !unknown.isEmpty {
            throw .invalid("Invalid request: Unrecognized fields: \(unknown.map { "'\($0)'" }.joined(separator: ", "))")
        }
    }

    /// The last value given for `name`, nil when absent.
    func last(_ name: String) -> String? {
        pairs.last(where: { $0.name == name })?.value
    }

    /// Integer parameter in `range`, `defaultValue` when absent; 400 names the parameter otherwise.
    func int(_ name: String, default defaultValue: Int, range: ClosedRange<Int>) throws(APIError) -> Int {
        guard let raw = last(name) else { return defaultValue }
        guard raw.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), !raw.isEmpty, raw.count <= 10, let v = Int(raw), range.contains(v) else {
            throw .invalid("query parameter '\(name)' must be an integer between \(range.lowerBound) and \(range.upperBound)")
        }
        return v
    }

    static func decode(_ s: Substring) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(s.utf8.count)
        var it = s.utf8.makeIterator()
        while let b = it.next() {
            switch b {
            case UInt8(ascii: "+"): bytes.append(0x20)
            case UInt8(ascii: "%"):
                guard let h = it.next().flatMap(hex), let l = it.next().flatMap(hex) else { return nil }
                bytes.append(h << 4 | l)
            default: bytes.append(b)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hex(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: return b - 0x30
        case 0x41...0x46: return b - 0x41 + 10
        case 0x61...0x66: return b - 0x61 + 10
        default: return nil
        }
    }
}
