import Foundation
import NIOCore

/// A parsed JSON document with exact types: `true` is never a number and `1` is never a boolean.
///
/// Invariant: integers that fit in `Int` are `.int`; other numbers are `.double`.
indirect enum JSONValue: Decodable, Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null; return }
        if let b = try? c.decode(Bool.self) { self = .bool(b); return }
        if let i = try? c.decode(Int.self) { self = .int(i); return }
        if let d = try? c.decode(Double.self) { self = .double(d); return }
        if let s = try? c.decode(String.self) { self = .string(s); return }
        if let a = try? c.decode([JSONValue].self) { self = .array(a); return }
        self = .object(try c.decode([String: JSONValue].self))
    }

    /// Parses a request body; 400 `invalid_json` when it is missing or not valid JSON.
    static func parse(_ body: ByteBuffer?) throws(APIError) -> JSONValue {
        guard let body, body.readableBytes > 0 else { throw APIError(.badRequest, "invalid_json", "request body must be a JSON object") }
        do {
            return try JSONDecoder().decode(JSONValue.self, from: Data(body.readableBytesView))
        } catch {
            throw APIError(.badRequest, "invalid_json", "request body is not valid JSON")
        }
    }

    /// A short name of the JSON type, for error messages.
    var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int, .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}
