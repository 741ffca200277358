/// The self-describing binary value stored in Redis for one cache entry: metadata, then body.
///
/// Byte layout, format version 1. Integers are big-endian; `str` is a `u32` byte length
/// followed by that many UTF-8 bytes.
///
///     offset  size  field
///     0       3     magic "CCE" (0x43 0x43 0x45)
///     3       1     format version = 1
///     4       2     status (u16, 100...999)
///     6       8     storedAt (i64, milliseconds since the Unix epoch)
///     14      8     ttl (i64 seconds, >= 0)
///     22      8     staleWhileRevalidate (i64 seconds, >= 0)
///     30      8     staleIfError (i64 seconds, >= 0)
///     38      1     encoding (ContentEncoding raw value)
///     39      8     identityLength (i64, >= 0)
///     47      str   contentType
///     ...     str   etag
///     ...     4     tag count (u32), then each tag as str
///     ...     4     header count (u32), then per header: name str, value str
///     ...     rest  body, to the end of the value
///
/// Format version 2 (origin-controlled entries, RFC 9111) is version 1 with three fields
/// between the headers and the body: kind (u8, `EntryKind`), initialAge (i64 milliseconds,
/// >= 0), variantKey (str). The encoder writes version 1 whenever those fields hold their
/// defaults (every configured-route entry), so configured entries are unchanged on the
/// wire; the decoder reads both, and rejects a version 2 envelope of kind `configured`
/// (so each entry has exactly one encoding).
///
/// The body is not length-prefixed: it is everything after the metadata, so the network
/// layer can slice it without copying (`decodeMetadata` returns its offset). For an
/// identity body the decoder checks `identityLength` against the remaining length, which
/// catches truncated values.
///
/// Decoding never traps: every read is bounds-checked, counts are checked against the bytes
/// left before anything is allocated, and every failure is an `EntryDecodingError`.
public enum EntryEnvelope {
    public static let magic: [UInt8] = Array("CCE".utf8)
    public static let formatVersion: UInt8 = 1
    /// The version for origin-controlled entries.
    public static let formatVersion2: UInt8 = 2

    /// The envelope bytes for `metadata` and `body`.
    ///
    /// Precondition: `metadata.status` fits in 0...65535 and each string is shorter than
    /// 4 GiB (always true for responses the proxy stores).
    public static func encode<Body: Collection>(metadata: EntryMetadata, body: Body) -> [UInt8]
    where Body.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(64 + metadata.contentType.utf8.count + metadata.etag.utf8.count + body.count)
        out.append(contentsOf: magic)
        let extended = metadata.kind != .configured || metadata.initialAge != 0 || !metadata.variantKey.isEmpty
        out.append(extended ? formatVersion2 : formatVersion)
        precondition((0...Int(UInt16.max)).contains(metadata.status), "status out of range")
        appendInteger(UInt16(metadata.status), to: &out)
        appendInteger(metadata.storedAt, to: &out)
        appendInteger(Int64(metadata.ttl), to: &out)
        appendInteger(Int64(metadata.staleWhileRevalidate), to: &out)
        appendInteger(Int64(metadata.staleIfError), to: &out)
        out.append(metadata.encoding.rawValue)
        appendInteger(Int64(metadata.identityLength), to: &out)
        appendString(metadata.contentType, to: &out)
        appendString(metadata.etag, to: &out)
        appendInteger(UInt32(metadata.tags.count), to: &out)
        for tag in metadata.tags { appendString(tag, to: &out) }
        appendInteger(UInt32(metadata.extraHeaders.count), to: &out)
        for header in metadata.extraHeaders {
            appendString(header.name, to: &out)
            appendString(header.value, to: &out)
        }
        if extended {
            out.append(metadata.kind.rawValue)
            precondition(metadata.initialAge >= 0, "initialAge must not be negative")
            appendInteger(metadata.initialAge, to: &out)
            appendString(metadata.variantKey, to: &out)
        }
        out.append(contentsOf: body)
        return out
    }

    /// Reads the metadata of an envelope and the offset at which its body starts.
    public static func decodeMetadata(
        _ bytes: UnsafeRawBufferPointer
    ) throws(EntryDecodingError) -> (EntryMetadata, bodyOffset: Int) {
        var reader = Reader(bytes: bytes)
        guard bytes.count >= magic.count else { throw .truncated }
        guard bytes[0] == magic[0], bytes[1] == magic[1], bytes[2] == magic[2] else { throw .badMagic }
        reader.offset = magic.count
        let version = try reader.readByte()
        guard version == formatVersion || version == formatVersion2 else { throw .unsupportedVersion(version) }

        let status = Int(try reader.readInteger(UInt16.self))
        guard (100...999).contains(status) else { throw .invalidField("status") }
        let storedAt = try reader.readInteger(Int64.self)
        let ttl = try reader.readNonNegative("ttl")
        let staleWhileRevalidate = try reader.readNonNegative("staleWhileRevalidate")
        let staleIfError = try reader.readNonNegative("staleIfError")
        guard let encoding = ContentEncoding(rawValue: try reader.readByte()) else {
            throw .invalidField("encoding")
        }
        let identityLength = try reader.readNonNegative("identityLength")
        let contentType = try reader.readString()
        let etag = try reader.readString()

        let tagCount = try reader.readCount(minimumBytesEach: 4)
        var tags: [String] = []
        tags.reserveCapacity(tagCount)
        for _ in 0..<tagCount { tags.append(try reader.readString()) }

        let headerCount = try reader.readCount(minimumBytesEach: 8)
        var headers: [HeaderField] = []
        headers.reserveCapacity(headerCount)
        for _ in 0..<headerCount {
            let name = try reader.readString()
            let value = try reader.readString()
            headers.append(HeaderField(name: name, value: value))
        }

        var kind = EntryKind.configured
        var initialAge: Int64 = 0
        var variantKey = ""
        if version == formatVersion2 {
            // Version 2 with the version-1 defaults would have been written as version 1:
            // rejecting it keeps the format canonical (one encoding per entry).
            guard let decodedKind = EntryKind(rawValue: try reader.readByte()), decodedKind != .configured else { throw .invalidField("kind") }
            kind = decodedKind
            initialAge = Int64(try reader.readNonNegative("initialAge"))
            variantKey = try reader.readString()
        }

        let bodyOffset = reader.offset
        if encoding == .identity && bytes.count - bodyOffset != identityLength {
            throw .invalidField("identityLength")
        }
        let metadata = EntryMetadata(
            status: status, contentType: contentType, etag: etag, storedAt: storedAt, ttl: ttl,
            staleWhileRevalidate: staleWhileRevalidate, staleIfError: staleIfError, encoding: encoding,
            identityLength: identityLength, tags: tags, extraHeaders: headers,
            kind: kind, initialAge: initialAge, variantKey: variantKey
        )
        return (metadata, bodyOffset)
    }

    /// Convenience over `decodeMetadata` for an array: the metadata and a slice of the body.
    public static func decode(_ bytes: [UInt8]) throws(EntryDecodingError) -> (EntryMetadata, body: ArraySlice<UInt8>) {
        let result: Result<(EntryMetadata, bodyOffset: Int), EntryDecodingError> = bytes.withUnsafeBytes { raw in
            do throws(EntryDecodingError) {
                return .success(try decodeMetadata(raw))
            } catch {
                return .failure(error)
            }
        }
        let (metadata, bodyOffset) = try result.get()
        return (metadata, bytes[bodyOffset...])
    }

    // MARK: - Encoding helpers

    private static func appendInteger<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { out.append(contentsOf: $0) }
    }

    private static func appendString(_ string: String, to out: inout [UInt8]) {
        let count = string.utf8.count
        precondition(count <= Int(UInt32.max), "string too long for the envelope")
        appendInteger(UInt32(count), to: &out)
        out.append(contentsOf: string.utf8)
    }

    // MARK: - Decoding

    /// A bounds-checked cursor over the envelope bytes.
    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var offset = 0

        init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        var remaining: Int { bytes.count - offset }

        mutating func readByte() throws(EntryDecodingError) -> UInt8 {
            guard remaining >= 1 else { throw .truncated }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func readInteger<T: FixedWidthInteger>(_: T.Type) throws(EntryDecodingError) -> T {
            let size = MemoryLayout<T>.size
            guard remaining >= size else { throw .truncated }
            var value: T = 0
            for index in offset..<(offset + size) {
                value = value << 8 | T(bytes[index])
            }
            offset += size
            return value
        }

        mutating func readNonNegative(_ field: String) throws(EntryDecodingError) -> Int {
            let value = try readInteger(Int64.self)
            guard value >= 0, let int = Int(exactly: value) else { throw .invalidField(field) }
            return int
        }

        /// A u32 count, rejected when the remaining bytes cannot hold that many items of at
        /// least `minimumBytesEach` bytes (so a corrupt count never drives a huge allocation).
        mutating func readCount(minimumBytesEach: Int) throws(EntryDecodingError) -> Int {
            let count = Int(try readInteger(UInt32.self))
            guard count <= remaining / minimumBytesEach else { throw .invalidLength }
            return count
        }

        mutating func readString() throws(EntryDecodingError) -> String {
            let length = Int(try readInteger(UInt32.self))
            guard length <= remaining else { throw .invalidLength }
            let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)])
            guard let string = String(validating: slice, as: UTF8.self) else { throw .invalidUTF8 }
            offset += length
            return string
        }
    }
}
