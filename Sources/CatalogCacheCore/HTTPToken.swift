/// Small ASCII helpers for HTTP field names and values (RFC 9110 §5.6), working on UTF-8
/// bytes without Foundation.
enum HTTPToken {
    /// `tchar` of RFC 9110 §5.6.2.
    static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
             UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
             UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }

    static func isValidFieldName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy(isTokenCharacter)
    }

    /// ASCII lowercase; other bytes unchanged.
    static func lowercased(_ string: String) -> String {
        guard string.utf8.contains(where: { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }) else {
            return string
        }
        return String(decoding: string.utf8.map(lowercased), as: UTF8.self)
    }

    @inline(__always)
    static func lowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
    }

    /// Whether two byte strings are equal ignoring ASCII case.
    static func equalsIgnoringCase<L: Collection, R: Collection>(_ left: L, _ right: R) -> Bool
    where L.Element == UInt8, R.Element == UInt8 {
        left.count == right.count && zip(left, right).allSatisfy { lowercased($0) == lowercased($1) }
    }

    @inline(__always)
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }

    /// `bytes` without leading and trailing spaces and tabs (OWS).
    static func trimmed(_ bytes: Substring.UTF8View) -> Substring.UTF8View {
        var start = bytes.startIndex
        var end = bytes.endIndex
        while start < end, isWhitespace(bytes[start]) { start = bytes.index(after: start) }
        while end > start, isWhitespace(bytes[bytes.index(before: end)]) { end = bytes.index(before: end) }
        return bytes[start..<end]
    }

    /// The members of a comma-separated list field (RFC 9110 §5.6.1), trimmed, empty members
    /// dropped. Commas inside a quoted string (`"a,b"`, with `\` escapes) do not split.
    static func listMembers(_ value: String) -> [Substring.UTF8View] {
        let bytes = Substring(value).utf8
        var members: [Substring.UTF8View] = []
        var start = bytes.startIndex
        var index = bytes.startIndex
        var inQuotes = false
        var escaped = false
        while index != bytes.endIndex {
            let byte = bytes[index]
            if inQuotes {
                if escaped { escaped = false }
                else if byte == UInt8(ascii: "\\") { escaped = true }
                else if byte == UInt8(ascii: "\"") { inQuotes = false }
            } else if byte == UInt8(ascii: "\"") {
                inQuotes = true
            } else if byte == UInt8(ascii: ",") {
                let member = trimmed(bytes[start..<index])
                if !member.isEmpty { members.append(member) }
                start = bytes.index(after: index)
            }
            index = bytes.index(after: index)
        }
        let member = trimmed(bytes[start..<bytes.endIndex])
        if !member.isEmpty { members.append(member) }
        return members
    }

    /// The token a list member starts with (up to `=`, `;` or whitespace), e.g. `private` in
    /// `private="set-cookie"`.
    static func leadingToken(_ member: Substring.UTF8View) -> Substring.UTF8View {
        let end = member.firstIndex { $0 == UInt8(ascii: "=") || $0 == UInt8(ascii: ";") || isWhitespace($0) }
            ?? member.endIndex
        return member[member.startIndex..<end]
    }
}
