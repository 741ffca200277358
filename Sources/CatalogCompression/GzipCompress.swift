import CZlib

extension Gzip {
    /// Compresses `bytes` into a single gzip member (RFC 1952) in one shot.
    ///
    /// The output buffer is allocated once with `deflateBound`, so there is no regrowth and
    /// no copy. `deflateEnd` is always called once the stream was initialised.
    /// - Parameter level: zlib level, `-1` (default, 6) or `0...9`.
    public static func compress(_ bytes: UnsafeRawBufferPointer, level: Int32 = 6) throws(CompressionError) -> [UInt8] {
        guard (-1...9).contains(level) else { throw .invalidLevel(level) }
        let stream = ZStream()
        let strm = stream.pointer
        switch catalog_deflate_init_gzip(strm, level) {
        case Z_OK: break
        case Z_MEM_ERROR: throw .outOfMemory
        case let code: throw .zlibFailure(code: code, message: stream.message(or: "deflateInit2 failed"))
        }
        defer { deflateEnd(strm) }

        let bound = Int(deflateBound(strm, UInt(bytes.count)))
        var failure: CompressionError?
        let output = [UInt8](unsafeUninitializedCapacity: bound) { out, initialized in
            initialized = 0
            var inOffset = 0
            var outOffset = 0
            // zlib counts in 32 bits; feed input and output space in chunks it can describe.
            while true {
                if strm.pointee.avail_in == 0, inOffset < bytes.count {
                    let chunk = min(zlibMaxChunk, bytes.count - inOffset)
                    strm.pointee.next_in = UnsafeMutablePointer(
                        mutating: bytes.baseAddress!.advanced(by: inOffset).assumingMemoryBound(to: Bytef.self))
                    strm.pointee.avail_in = UInt32(chunk)
                    inOffset += chunk
                }
                if strm.pointee.avail_out == 0 {
                    let chunk = min(zlibMaxChunk, bound - outOffset)
                    guard chunk > 0 else {
                        failure = .zlibFailure(code: Z_BUF_ERROR, message: "deflateBound was too small")
                        return
                    }
                    strm.pointee.next_out = out.baseAddress!.advanced(by: outOffset)
                    strm.pointee.avail_out = UInt32(chunk)
                    outOffset += chunk
                }
                let finishing = inOffset == bytes.count
                let code = deflate(strm, finishing ? Z_FINISH : Z_NO_FLUSH)
                initialized = Int(strm.pointee.total_out)
                switch code {
                case Z_STREAM_END:
                    return
                case Z_OK, Z_BUF_ERROR:
                    continue
                default:
                    failure = .zlibFailure(code: code, message: stream.message(or: "deflate failed"))
                    return
                }
            }
        }
        if let failure { throw failure }
        return output
    }

    /// Compresses a byte array; see ``compress(_:level:)-(UnsafeRawBufferPointer,_)``.
    public static func compress(_ bytes: [UInt8], level: Int32 = 6) throws(CompressionError) -> [UInt8] {
        try withRawBytes(bytes) { raw throws(CompressionError) in try compress(raw, level: level) }
    }

    /// Compresses any byte collection (contiguous storage is used without copying).
    public static func compress(_ bytes: some Collection<UInt8>, level: Int32 = 6) throws(CompressionError) -> [UInt8] {
        try withRawBytes(bytes) { raw throws(CompressionError) in try compress(raw, level: level) }
    }
}
