/// The field reference in `docs/configuration.md`, rendered from `ConfigurationSchema`
/// between two marker lines; the prose around the markers is written by hand.
///
/// `ConfigurationReferenceTests` fails when the checked-in region differs from `markdown()`;
/// `scripts/config-docs` rewrites it.
public enum ConfigurationReference {
    public static let beginMarker = "<!-- BEGIN GENERATED from ConfigurationSchema by scripts/config-docs: do not edit by hand -->"
    public static let endMarker = "<!-- END GENERATED -->"

    /// The reference: one table per top-level section, in schema order.
    public static func markdown() -> String {
        var lines: [String] = []
        var order: [String] = []
        var bySection: [String: [ConfigurationField]] = [:]
        for field in ConfigurationSchema.fields {
            let top = topLevel(field.path)
            if bySection[top] == nil { order.append(top) }
            bySection[top, default: []].append(field)
        }
        let topScalars = ConfigurationSchema.fields.filter { $0.parent.isEmpty && $0.type != .section && !$0.path.contains("[") && bySection[$0.path]?.count == 1 }
        lines.append("### Top level")
        lines.append("")
        lines += table(topScalars)
        for section in order where !topScalars.contains(where: { $0.path == section }) {
            guard let fields = bySection[section], let head = fields.first else { continue }
            lines.append("")
            lines.append("### `\(section)`")
            lines.append("")
            lines.append(head.doc)
            lines.append("")
            lines += table(head.type == .section ? Array(fields.dropFirst()) : fields)
        }
        return lines.joined(separator: "\n")
    }

    /// `document` with the text between the markers replaced by `markdown()`, or nil when the
    /// document lacks either marker.
    public static func updating(_ document: String) -> String? {
        guard let begin = document.range(of: beginMarker), let end = document.range(of: endMarker, range: begin.upperBound..<document.endIndex) else { return nil }
        return String(document[..<begin.upperBound]) + "\n" + markdown() + "\n" + String(document[end.lowerBound...])
    }

    private static func table(_ fields: [ConfigurationField]) -> [String] {
        var lines = ["| field | type | default | reload | meaning |", "|---|---|---|---|---|"]
        for field in fields {
            let cells = ["`\(field.path)`", typeText(field.type), field.defaultText.isEmpty ? "" : field.defaultText, field.reload.rawValue, field.doc]
            lines.append("| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |")
        }
        return lines
    }

    private static func topLevel(_ path: String) -> String {
        String(path.prefix { $0 != "." && $0 != "[" })
    }

    static func typeText(_ type: ConfigurationValueType) -> String {
        switch type {
        case .integer(let range): "integer \(range.lowerBound) to \(range.upperBound)"
        case .boolean: "true or false"
        case .text: "text"
        case .address: "HOST:PORT"
        case .url: "URL"
        case .textList: "list of text"
        case .integerList(let range): "list of integers \(range.lowerBound) to \(range.upperBound)"
        case .oneOf(let words): words.map { "`\($0)`" }.joined(separator: " or ")
        case .section: "mapping"
        case .list: "list of mappings"
        case .namedSections: "mapping of name to mapping"
        case .textMap: "mapping of name to text"
        }
    }
}
