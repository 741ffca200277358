/// Why a gzip compression or decompression did not produce output.
///
/// Every failure of ``Gzip`` is reported as one of these cases; zlib return codes never
/// escape untyped, and no input (corrupt, truncated or hostile) makes ``Gzip`` trap.
public enum CompressionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The compression level is outside zlib's range `-1...9`.
    case invalidLevel(Int32)
    /// `maxOutput` was negative.
    case invalidLimit(Int)
    /// Decompressing would produce more than `limit` bytes (for example a zip bomb).
    case outputLimitExceeded(limit: Int)
    /// The input ended before the gzip stream did (including empty input).
    case truncatedInput
    /// The input is not a valid gzip (or zlib) stream; `reason` is zlib's message when it gave one.
    case corruptInput(reason: String)
    /// zlib could not allocate its state.
    case outOfMemory
    /// zlib returned a code this wrapper does not expect; a bug rather than bad input.
    case zlibFailure(code: Int32, message: String)

    public var description: String {
        switch self {
        case .invalidLevel(let level): "gzip: invalid compression level \(level) (expected -1...9)"
        case .invalidLimit(let limit): "gzip: invalid maxOutput \(limit) (must be >= 0)"
        case .outputLimitExceeded(let limit): "gzip: decompressed data exceeds the limit of \(limit) bytes"
        case .truncatedInput: "gzip: input is truncated"
        case .corruptInput(let reason): "gzip: corrupt input: \(reason)"
        case .outOfMemory: "gzip: zlib is out of memory"
        case .zlibFailure(let code, let message): "gzip: unexpected zlib result \(code): \(message)"
        }
    }
}
