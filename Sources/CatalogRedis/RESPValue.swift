import NIOCore

/// One reply from Redis, as decoded by hiredis's reader.
///
/// Invariants:
/// - Bulk string bytes are owned by the `ByteBuffer` (copied out of hiredis's reply, which
///   is freed right after conversion); no pointer into C memory survives decoding.
/// - hiredis reports a null bulk string (`$-1`) and a null array (`*-1`) the same way, so
///   both decode to `.bulkString(nil)`; `.array(nil)` is never produced by the decoder and
///   exists for callers that build values by hand.
/// - At the top level a RESP error reply never reaches callers as a successful value:
///   ``RedisConnection/send(_:)`` fails with ``RedisError/server(_:)`` instead. Errors nested
///   in arrays (for example inside `EXEC` or `EVAL` results) stay `.error`.
public enum RESPValue: Sendable, Hashable {
    case simpleString(String)
    case error(String)
    case integer(Int64)
    /// `nil` is the null bulk string (for example `GET` of a missing key).
    case bulkString(ByteBuffer?)
    case array([RESPValue]?)

    /// The bytes of a bulk string (nil for null or other kinds).
    public var bytes: ByteBuffer? {
        if case .bulkString(let buffer) = self { return buffer }
        return nil
    }

    /// A simple string, or a bulk string decoded as UTF-8.
    public var string: String? {
        switch self {
        case .simpleString(let s): return s
        case .bulkString(let buffer?): return String(buffer: buffer)
        default: return nil
        }
    }

    public var integer: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }

    public var array: [RESPValue]? {
        if case .array(let values) = self { return values }
        return nil
    }

    /// True for the null bulk string and the null array.
    public var isNull: Bool {
        switch self {
        case .bulkString(nil), .array(nil): return true
        default: return false
        }
    }
}
