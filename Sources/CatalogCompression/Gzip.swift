/// One-shot gzip (RFC 1952) compression and bounded decompression through zlib.
///
/// Invariants:
/// - Every call owns its own `z_stream` and always ends it (`deflateEnd`/`inflateEnd`),
///   whether it succeeds or throws; nothing is shared between calls, so all functions are
///   safe to call concurrently.
/// - ``decompress(_:maxOutput:)-(UnsafeRawBufferPointer,_)`` never returns or allocates more
///   than `maxOutput` bytes of output, and rejects truncated or corrupt input with a typed
///   ``CompressionError`` instead of trapping.
/// - No NIO types: callers hand in raw bytes and get `[UInt8]` back.
public enum Gzip {}

/// Runs `body` with the contiguous bytes of `bytes`, copying only if the collection has no
/// contiguous storage.
@inline(__always)
func withRawBytes<Result>(
    _ bytes: some Collection<UInt8>,
    _ body: (UnsafeRawBufferPointer) throws(CompressionError) -> Result
) throws(CompressionError) -> Result {
    var result: Swift.Result<Result, CompressionError>?
    bytes.withContiguousStorageIfAvailable { buffer in
        result = Swift.Result { () throws(CompressionError) in try body(UnsafeRawBufferPointer(buffer)) }
    }
    if let result { return try result.get() }
    let copy = Array(bytes)
    return try copy.withUnsafeBytes { raw in
        Swift.Result { () throws(CompressionError) in try body(raw) }
    }.get()
}
