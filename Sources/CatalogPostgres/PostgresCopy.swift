/// Helpers for the text format of `COPY ... FROM STDIN`.
///
/// Invariant: `line` output never contains a raw tab, newline, carriage return or backslash
/// inside a field, so it always parses back to exactly the given fields.
public enum PostgresCopy {
    /// Encodes fields as one COPY text line without the trailing newline; nil becomes `\N`.
    public static func line(_ fields: [String?]) -> String {
        var out = ""
        out.reserveCapacity(fields.count * 16)
        for (i, field) in fields.enumerated() {
            if i > 0 { out.append("\t") }
            guard let field else { out.append("\\N"); continue }
            escape(field, into: &out)
        }
        return out
    }

    /// Appends `value` escaped for a COPY text field.
    public static func escape(_ value: String, into out: inout String) {
        var clean = true
        for b in value.utf8 where b == 0x5C || b == 0x09 || b == 0x0A || b == 0x0D {
            clean = false
            break
        }
        if clean { out.append(value); return }
        for ch in value.unicodeScalars {
            switch ch {
            case "\\": out.append("\\\\")
            case "\t": out.append("\\t")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            default: out.unicodeScalars.append(ch)
            }
        }
    }
}
