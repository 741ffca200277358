/// Parses query strings (`application/x-www-form-urlencoded` style) and produces the
/// canonical query used in cache keys.
///
/// Decoding of one name or value, mirroring what the Node `qs` parser behind Medusa does:
/// `+` becomes a space, then `%XX` escapes are decoded; if the component holds an invalid
/// escape (`%` not followed by two hex digits) or decodes to invalid UTF-8, the component is
/// kept as written (with only `+` replaced).
///
/// Canonical form: parameters stable-sorted by the byte order of their canonically encoded
/// name (repeated names keep their relative order, because `id=1&id=2` and `id=2&id=1` can
/// mean different things), each written `name=value` with every byte other than the
/// unreserved ones as uppercase `%XX` (a space is `%20`), joined with `&`. A parameter
/// without `=` is the same as one with an empty value; empty pieces (`a=1&&b=2`) are dropped.
public enum QueryNormalizer {
    /// The decoded parameters of `query` (the text after `?`, without it) in their original
    /// order. A nil or empty query has no parameters.
    public static func parameters(_ query: Substring?) -> [(name: String, value: String)] {
        guard let query, !query.isEmpty else { return [] }
        return pieces(of: query).map { piece in
            (name: decodeToString(piece.name), value: decodeToString(piece.value))
        }
    }

    /// The canonical query string of already decoded parameters (see the type docs).
    public static func canonical(_ parameters: [(name: String, value: String)]) -> String {
        let encoded = parameters.map { parameter in
            (name: canonicalEncoding(parameter.name.utf8), value: canonicalEncoding(parameter.value.utf8))
        }
        return join(encoded)
    }

    /// The canonical query of a raw query string: the form cache keys are built from.
    ///
    /// For every query whose components all decode cleanly this equals
    /// `canonical(parameters(query))`. Unlike that composition, it is injective on the decoded
    /// bytes even for malformed input: a component kept as written (invalid escape or invalid
    /// UTF-8) is encoded with a leading `%%`, which no cleanly decoded component can produce,
    /// so `a=%FF` and `a=%25FF` (or `a=%FE`) never share a canonical query.
    public static func canonical(query: Substring?) -> String {
        guard let query, !query.isEmpty else { return "" }
        let encoded = pieces(of: query).map { piece in
            (name: canonicalComponent(piece.name), value: canonicalComponent(piece.value))
        }
        return join(encoded)
    }

    /// `canonical(query:)` of the parameters `filter` keeps (judged by their decoded names).
    public static func canonical(query: Substring?, filter: QueryParameterFilter) -> String {
        guard filter != .all else { return canonical(query: query) }
        guard let query, !query.isEmpty else { return "" }
        let encoded = pieces(of: query).filter { filter.keeps(decodeToString($0.name)) }.map { piece in
            (name: canonicalComponent(piece.name), value: canonicalComponent(piece.value))
        }
        return join(encoded)
    }

    // MARK: - Internals

    private static func pieces(of query: Substring) -> [(name: Substring.UTF8View, value: Substring.UTF8View)] {
        var result: [(name: Substring.UTF8View, value: Substring.UTF8View)] = []
        let bytes = query.utf8
        var pieceStart = bytes.startIndex
        var index = bytes.startIndex
        func finishPiece(upTo end: Substring.UTF8View.Index) {
            guard pieceStart < end else { return }
            let piece = bytes[pieceStart..<end]
            if let equals = piece.firstIndex(of: UInt8(ascii: "=")) {
                result.append((name: piece[..<equals], value: piece[piece.index(after: equals)...]))
            } else {
                result.append((name: piece, value: piece[piece.endIndex...]))
            }
        }
        while index != bytes.endIndex {
            if bytes[index] == UInt8(ascii: "&") {
                finishPiece(upTo: index)
                pieceStart = bytes.index(after: index)
            }
            index = bytes.index(after: index)
        }
        finishPiece(upTo: bytes.endIndex)
        return result
    }

    /// Decoded bytes of one component, or nil if it holds an invalid escape.
    private static func decodedBytes(_ component: Substring.UTF8View) -> [UInt8]? {
        var output: [UInt8] = []
        output.reserveCapacity(component.count)
        var index = component.startIndex
        while index != component.endIndex {
            let byte = component[index]
            if byte == UInt8(ascii: "%") {
                guard let decoded = PercentEncoding.decodedEscape(in: component, at: index) else { return nil }
                output.append(decoded)
                index = component.index(index, offsetBy: 3)
                continue
            }
            output.append(byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
            index = component.index(after: index)
        }
        return output
    }

    /// The component as written, with only `+` turned into a space.
    private static func plusReplaced(_ component: Substring.UTF8View) -> [UInt8] {
        component.map { $0 == UInt8(ascii: "+") ? UInt8(ascii: " ") : $0 }
    }

    private static func decodeToString(_ component: Substring.UTF8View) -> String {
        if let bytes = decodedBytes(component), let string = String(validating: bytes, as: UTF8.self) {
            return string
        }
        return String(decoding: plusReplaced(component), as: UTF8.self)
    }

    private static func canonicalComponent(_ component: Substring.UTF8View) -> [UInt8] {
        if let bytes = decodedBytes(component), String(validating: bytes, as: UTF8.self) != nil {
            return canonicalEncoding(bytes)
        }
        return [UInt8(ascii: "%"), UInt8(ascii: "%")] + canonicalEncoding(plusReplaced(component))
    }

    private static func canonicalEncoding<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        for byte in bytes { PercentEncoding.appendCanonical(byte, to: &output) }
        return output
    }

    private static func join(_ encoded: [(name: [UInt8], value: [UInt8])]) -> String {
        // Array.sort is not guaranteed stable, so sort indices with the position as tie-break.
        let order = encoded.indices.sorted { left, right in
            let l = encoded[left].name, r = encoded[right].name
            if l == r { return left < right }
            return l.lexicographicallyPrecedes(r)
        }
        var output: [UInt8] = []
        for (position, index) in order.enumerated() {
            if position > 0 { output.append(UInt8(ascii: "&")) }
            output.append(contentsOf: encoded[index].name)
            output.append(UInt8(ascii: "="))
            output.append(contentsOf: encoded[index].value)
        }
        return output.asciiString
    }
}
