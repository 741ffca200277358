/// Why a notification payload was refused. The listener logs it and drops the message.
public enum NotifyPayloadError: Error, Sendable, Equatable {
    /// Larger than `NotifyPayloadParser.maximumBytes`.
    case tooLarge(Int)
    /// Not valid JSON (byte offset and reason).
    case invalidJSON(offset: Int, reason: String)
    /// Valid JSON, but not an object.
    case notAnObject
    /// A field has the wrong JSON type or an invalid value (the field's name is given).
    case invalidField(String)
    /// A required field is missing (the field's name, or the alternatives).
    case missingField(String)
    /// `op` is not one of INSERT, UPDATE, DELETE, TRUNCATE.
    case unknownOperation(String)
    /// `table` does not match `[A-Za-z_][A-Za-z0-9_]*`.
    case invalidTableName(String)
    /// The object mixes the fields of different message kinds (`table`, `keys`/`tags`, `token`).
    case ambiguousKind
    /// An explicit key or tag starts with one of the store's own namespaces
    /// (`NotifyPayloadParser.reservedNamespaces`, e.g. `tag:`), which only the store may touch.
    case reservedName(String)
}
