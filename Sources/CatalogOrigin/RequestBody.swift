import NIOCore

/// A field of a JSON request object: absent, explicitly null, or a typed value.
enum BodyField<T: Sendable>: Sendable {
    case absent
    case null
    case value(T)

    /// The value, or nil when absent or null.
    var value: T? {
        if case .value(let v) = self { return v }
        return nil
    }

    var isAbsent: Bool {
        if case .absent = self { return true }
        return false
    }
}

/// Typed, validating access to a JSON object body.
///
/// Invariants: the body is a JSON object whose keys are all in the endpoint's allowed set
/// (unknown fields are rejected, naming the field); every accessor either returns a value that
/// satisfies its constraints or throws a 400 `invalid_request` naming the field.
struct RequestBody: Sendable {
    let fields: [String: JSONValue]
    let path: String

    init(_ buffer: ByteBuffer?, allowed: Set<String>) throws(APIError) {
        guard case .object(let fields) = try JSONValue.parse(buffer) else {
            throw APIError(.badRequest, "invalid_json", "request body must be a JSON object")
        }
        try self.init(fields: fields, allowed: allowed, path: "")
    }

    init(fields: [String: JSONValue], allowed: Set<String>, path: String) throws(APIError) {
        for key in fields.keys.sorted() where !allowed.contains(key) {
            throw .invalid("unknown field '\(path)\(key)'")
        }
        self.fields = fields
        self.path = path
    }

    private func name(_ key: String) -> String { path + key }

    func string(_ key: String, maxLength: Int = 1000, allowEmpty: Bool = false, nullable: Bool = false) throws(APIError) -> BodyField<String> {
        switch fields[key] {
        case nil: return .absent
        case .null?:
            if nullable { return .null }
            throw .invalid("field '\(name(key))' must not be null")
        case .string(let s)?:
            if !allowEmpty && s.isEmpty { throw .invalid("field '\(name(key))' must not be empty") }
            if s.count > maxLength { throw .invalid("field '\(name(key))' must be at most \(maxLength) characters") }
            return .value(s)
        case let other?:
            throw .invalid("field '\(name(key))' must be a string, not \(other.typeName)")
        }
    }

    func int(_ key: String, range: ClosedRange<Int>) throws(APIError) -> BodyField<Int> {
        switch fields[key] {
        case nil: return .absent
        case .null?: throw .invalid("field '\(name(key))' must not be null")
        case .int(let i)?:
            guard range.contains(i) else {
                throw .invalid("field '\(name(key))' must be between \(range.lowerBound) and \(range.upperBound)")
            }
            return .value(i)
        case .double?:
            throw .invalid("field '\(name(key))' must be an integer between \(range.lowerBound) and \(range.upperBound)")
        case let other?:
            throw .invalid("field '\(name(key))' must be an integer, not \(other.typeName)")
        }
    }

    func bool(_ key: String) throws(APIError) -> BodyField<Bool> {
        switch fields[key] {
        case nil: return .absent
        case .null?: throw .invalid("field '\(name(key))' must not be null")
        case .bool(let b)?: return .value(b)
        case let other?: throw .invalid("field '\(name(key))' must be a boolean, not \(other.typeName)")
        }
    }

    func array(_ key: String, maxCount: Int) throws(APIError) -> BodyField<[JSONValue]> {
        switch fields[key] {
        case nil: return .absent
        case .null?: throw .invalid("field '\(name(key))' must not be null")
        case .array(let a)?:
            if a.count > maxCount { throw .invalid("field '\(name(key))' must have at most \(maxCount) items") }
            return .value(a)
        case let other?: throw .invalid("field '\(name(key))' must be an array, not \(other.typeName)")
        }
    }

    /// An array element that must itself be an object with only `allowed` keys.
    func object(at index: Int, of key: String, element: JSONValue, allowed: Set<String>) throws(APIError) -> RequestBody {
        guard case .object(let fields) = element else {
            throw .invalid("field '\(name(key))[\(index)]' must be an object, not \(element.typeName)")
        }
        return try RequestBody(fields: fields, allowed: allowed, path: "\(name(key))[\(index)].")
    }

    /// A value that must be present.
    func required<T>(_ field: BodyField<T>, _ key: String) throws(APIError) -> T {
        guard let v = field.value else { throw .invalid("field '\(name(key))' is required") }
        return v
    }
}
