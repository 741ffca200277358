/// Why stored bytes are not a usable cache entry. The proxy treats any of these as a miss
/// (and may delete the value); none of them is ever a crash.
public enum EntryDecodingError: Error, Sendable, Equatable {
    /// The value ends before the metadata does.
    case truncated
    /// The value does not start with `CCE`.
    case badMagic
    /// A format version this build cannot read.
    case unsupportedVersion(UInt8)
    /// A length or count larger than what remains of the value.
    case invalidLength
    /// A string field is not valid UTF-8.
    case invalidUTF8
    /// A field holds a value outside its range (the field's name is given).
    case invalidField(String)
}
