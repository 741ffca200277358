/// Minimal JSON string quoting for server-generated messages.
///
/// Invariant: `quote(s)` is a valid JSON string literal whose value is exactly `s`; control
/// characters and U+2028/U+2029 (line breaks to JavaScript and to some log viewers) are
/// escaped, so a quoted value never breaks a line.
public enum HTTPServerJSON {
    public static func quote(_ s: String) -> String {
        var out = "\""
        out.reserveCapacity(s.utf8.count + 2)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
        return out
    }
}
