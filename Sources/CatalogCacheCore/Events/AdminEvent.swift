/// One live admin event (`event: banner.updated`, `data: {"id": ..., "action": ...}`).
public struct AdminEvent: Sendable, Equatable {
    /// Position in this process's stream, from 1, without gaps.
    public let sequence: UInt64
    public let name: String
    /// A JSON object.
    public let data: String

    public init(sequence: UInt64, name: String, data: String) {
        self.sequence = sequence
        self.name = name
        self.data = data
    }
}

/// Turns applied row changes into admin events, by the configured table-to-name map.
///
/// One event per changed id, `{"id": "<id>", "action": "created|updated|deleted"}`; a change
/// without ids (a truncate, a statement over very many rows) gives one event with `"id": null`.
public struct AdminEventMap: Sendable, Equatable {
    public let names: [String: String]

    public init(names: [String: String]) {
        self.names = names
    }

    public func events(table: String, op: RowOperation, ids: [String]) -> [(name: String, data: String)] {
        guard let name = names[table] else { return [] }
        let action = switch op {
        case .insert: "created"
        case .update: "updated"
        case .delete, .truncate: "deleted"
        }
        if ids.isEmpty { return [(name, "{\"id\":null,\"action\":\"\(action)\"}")] }
        return ids.map { (name, "{\"id\":\(Self.quoted($0)),\"action\":\"\(action)\"}") }
    }

    /// `text` as a JSON string literal.
    public static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// The text/event-stream framing (WHATWG HTML, server-sent events).
public enum EventStreamFormat {
    /// `id:`, `event:` and `data:` lines and the blank line ending the event. `data` is one
    /// line (JSON without raw newlines); names are visible ASCII (checked by the loader).
    public static func frame(id: String, event: String, data: String) -> String {
        "id: \(id)\nevent: \(event)\ndata: \(data)\n\n"
    }

    /// A comment line: keeps intermediaries from closing an idle stream.
    public static let heartbeat = ": heartbeat\n\n"

    /// Tells `EventSource` to wait this long before reconnecting.
    public static func retry(milliseconds: Int) -> String { "retry: \(milliseconds)\n\n" }
}
