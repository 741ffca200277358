/// Parses the JSON payloads sent on the invalidation channel.
///
/// Accepted shapes (unknown extra fields are ignored, for forward compatibility):
/// - row change: `{"table":"product","op":"UPDATE","id":"prod_1"}`; `"ids":[...]` for a
///   batch (`id` and `ids` may both be present: `id` comes first); ids are strings or integer
///   numbers (turned into their decimal text), never empty strings; `op` is case-insensitive;
///   optional `"ts"`: a non-negative integer, the commit time in microseconds since the epoch;
///   optional `"columns"`: the changed column names (identifiers), and `"values"`: an object
///   from column names to arrays of their old and new values (strings or integer numbers);
/// - explicit: `{"keys":[...],"tags":[...]}`, either may be missing but not both; elements are
///   non-empty strings that do not start with one of `reservedNamespaces`;
/// - token: `{"token":"..."}` with a non-empty string.
///
/// Everything else is refused with a `NotifyPayloadError`: payloads over 8000 bytes
/// (PostgreSQL's own NOTIFY limit), malformed JSON, non-objects, wrong types, unknown
/// operations, table names not matching `[A-Za-z_][A-Za-z0-9_]*`, and objects mixing kinds.
public enum NotifyPayloadParser {
    public static let maximumBytes = 8000
    /// The store's bookkeeping namespaces (tag sets, generations, fill locks, identity copies),
    /// which explicit keys and tags may not name: `{"keys":["tag:products"]}` would delete the
    /// tag index and later invalidations would miss its entries. (`rfc:` keys are entries.)
    public static let reservedNamespaces = ["tag:", "gen:", "lock:", "identity:"]

    public static func parse(_ payload: String) throws(NotifyPayloadError) -> InvalidationEvent {
        let size = payload.utf8.count
        guard size <= maximumBytes else { throw .tooLarge(size) }
        let value: JSONValue
        do {
            value = try StrictJSONParser.parse(payload.utf8)
        } catch {
            throw .invalidJSON(offset: error.offset, reason: error.reason)
        }
        guard case .object(let members) = value else { throw .notAnObject }
        var fields: [String: JSONValue] = [:]
        for member in members { fields[member.key] = member.value }

        let isRow = fields["table"] != nil
        let isExplicit = fields["keys"] != nil || fields["tags"] != nil
        let isToken = fields["token"] != nil
        switch (isRow, isExplicit, isToken) {
        case (true, false, false): return try parseRow(fields)
        case (false, true, false): return try parseExplicit(fields)
        case (false, false, true): return try parseToken(fields)
        case (false, false, false): throw .missingField("table, keys/tags or token")
        default: throw .ambiguousKind
        }
    }

    private static func parseRow(_ fields: [String: JSONValue]) throws(NotifyPayloadError) -> InvalidationEvent {
        guard case .string(let table) = fields["table"] else { throw .invalidField("table") }
        guard Identifier.isValid(table) else { throw .invalidTableName(table) }
        guard let opValue = fields["op"] else { throw .missingField("op") }
        guard case .string(let opText) = opValue else { throw .invalidField("op") }
        guard let op = RowOperation.allCases.first(where: { HTTPToken.equalsIgnoringCase($0.rawValue.utf8, opText.utf8) }) else {
            throw .unknownOperation(opText)
        }
        var ids: [String] = []
        if let id = fields["id"] {
            ids.append(try identifier(id, field: "id"))
        }
        if let list = fields["ids"] {
            guard case .array(let elements) = list else { throw .invalidField("ids") }
            for element in elements { ids.append(try identifier(element, field: "ids")) }
        }
        var commitTime: Int64?
        if let ts = fields["ts"] {
            guard case .number(let text) = ts, let micros = Int64(text), micros >= 0 else { throw .invalidField("ts") }
            commitTime = micros
        }
        return .row(table: table, op: op, ids: ids, commitTimeMicros: commitTime, change: try parseChange(fields))
    }

    private static func parseChange(_ fields: [String: JSONValue]) throws(NotifyPayloadError) -> RowChange? {
        guard fields["columns"] != nil || fields["values"] != nil else { return nil }
        var change = RowChange()
        if let columns = fields["columns"] {
            guard case .array(let elements) = columns else { throw .invalidField("columns") }
            var names: [String] = []
            for element in elements {
                guard case .string(let name) = element, Identifier.isValid(name) else { throw .invalidField("columns") }
                names.append(name)
            }
            change.columns = names
        }
        if let values = fields["values"] {
            guard case .object(let members) = values else { throw .invalidField("values") }
            for member in members {
                guard Identifier.isValid(member.key), case .array(let elements) = member.value else { throw .invalidField("values") }
                var list: [String] = []
                for element in elements {
                    switch element {
                    case .string(let text): list.append(text)
                    case .number(let text) where Int64(text) != nil: list.append(text)
                    default: throw .invalidField("values")
                    }
                }
                change.values[member.key] = list
            }
        }
        return change
    }

    private static func identifier(_ value: JSONValue, field: String) throws(NotifyPayloadError) -> String {
        switch value {
        case .string(let text) where !text.isEmpty:
            return text
        case .number(let text) where Int64(text) != nil:
            return text
        default:
            throw .invalidField(field)
        }
    }

    private static func parseExplicit(_ fields: [String: JSONValue]) throws(NotifyPayloadError) -> InvalidationEvent {
        let keys = try stringList(fields["keys"], field: "keys")
        let tags = try stringList(fields["tags"], field: "tags")
        for name in keys + tags where reservedNamespaces.contains(where: { name.hasPrefix($0) }) {
            throw .reservedName(name)
        }
        return .explicit(keys: keys, tags: tags)
    }

    private static func stringList(_ value: JSONValue?, field: String) throws(NotifyPayloadError) -> [String] {
        guard let value else { return [] }
        guard case .array(let elements) = value else { throw .invalidField(field) }
        var result: [String] = []
        for element in elements {
            guard case .string(let text) = element, !text.isEmpty else { throw .invalidField(field) }
            result.append(text)
        }
        return result
    }

    private static func parseToken(_ fields: [String: JSONValue]) throws(NotifyPayloadError) -> InvalidationEvent {
        guard case .string(let token) = fields["token"], !token.isEmpty else { throw .invalidField("token") }
        return .token(token)
    }
}
