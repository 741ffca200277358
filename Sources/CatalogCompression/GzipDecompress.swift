import CZlib

extension Gzip {
    /// Decompresses a gzip (or zlib) stream, refusing to produce more than `maxOutput` bytes.
    ///
    /// Concatenated gzip members are decompressed one after another, as `gzip -d` does.
    /// The output array is pre-sized from the gzip trailer's ISIZE field (clamped to
    /// `maxOutput`), so a well-formed single-member input is inflated without regrowth;
    /// otherwise the buffer doubles, never beyond `maxOutput`.
    /// - Throws: ``CompressionError/outputLimitExceeded(limit:)`` when the data would exceed
    ///   `maxOutput`; ``CompressionError/truncatedInput`` and
    ///   ``CompressionError/corruptInput(reason:)`` for bad input.
    public static func decompress(_ bytes: UnsafeRawBufferPointer, maxOutput: Int) throws(CompressionError) -> [UInt8] {
        guard maxOutput >= 0 else { throw .invalidLimit(maxOutput) }
        let stream = ZStream()
        let strm = stream.pointer
        switch catalog_inflate_init_auto(strm) {
        case Z_OK: break
        case Z_MEM_ERROR: throw .outOfMemory
        case let code: throw .zlibFailure(code: code, message: stream.message(or: "inflateInit2 failed"))
        }
        defer { inflateEnd(strm) }

        var inflater = Inflater(stream: stream, input: bytes)
        var capacity = min(maxOutput, initialCapacity(for: bytes))
        var output: [UInt8] = []
        while true {
            let previous = output
            var step: Result<Inflater.Outcome, CompressionError> = .success(.outputFull)
            output = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
                // Carry over what earlier (smaller) buffers already hold, then continue inflating.
                previous.withUnsafeBufferPointer { old in
                    if old.count > 0 { buffer.baseAddress!.update(from: old.baseAddress!, count: old.count) }
                }
                initialized = previous.count
                step = inflater.run(into: buffer, initialized: &initialized)
            }
            switch step {
            case .failure(let error):
                throw error
            case .success(.finished):
                return output
            case .success(.outputFull):
                if capacity < maxOutput {
                    capacity = capacity > maxOutput / 2 ? maxOutput : max(capacity * 2, 4096)
                    capacity = min(capacity, maxOutput)
                    continue
                }
                // Exactly at the limit: the stream may still end without producing more.
                var probe: UInt8 = 0
                let outcome = withUnsafeMutablePointer(to: &probe) { pointer in
                    var produced = 0
                    return inflater.run(into: UnsafeMutableBufferPointer(start: pointer, count: 1), initialized: &produced)
                        .map { outcome in produced > 0 ? .outputFull : outcome }
                }
                switch outcome {
                case .failure(let error): throw error
                case .success(.finished): return output
                case .success(.outputFull): throw .outputLimitExceeded(limit: maxOutput)
                }
            }
        }
    }

    /// Decompresses a byte array; see ``decompress(_:maxOutput:)-(UnsafeRawBufferPointer,_)``.
    public static func decompress(_ bytes: [UInt8], maxOutput: Int) throws(CompressionError) -> [UInt8] {
        try withRawBytes(bytes) { raw throws(CompressionError) in try decompress(raw, maxOutput: maxOutput) }
    }

    /// Decompresses any byte collection (contiguous storage is used without copying).
    public static func decompress(_ bytes: some Collection<UInt8>, maxOutput: Int) throws(CompressionError) -> [UInt8] {
        try withRawBytes(bytes) { raw throws(CompressionError) in try decompress(raw, maxOutput: maxOutput) }
    }

    /// A size hint: the gzip trailer's ISIZE (uncompressed size mod 2^32) when the input
    /// looks like gzip, else four times the input. Only a hint: it is never trusted beyond
    /// `maxOutput`, and a wrong value only costs a regrowth.
    static func initialCapacity(for bytes: UnsafeRawBufferPointer) -> Int {
        if bytes.count >= 18, bytes[0] == 0x1f, bytes[1] == 0x8b {
            let n = bytes.count
            let isize = Int(bytes[n - 4]) | Int(bytes[n - 3]) << 8 | Int(bytes[n - 2]) << 16 | Int(bytes[n - 1]) << 24
            // Leave one spare byte so an exact hint finishes without the limit probe.
            return isize + 1
        }
        return max(bytes.count.multipliedReportingOverflow(by: 4).partialValue, 64)
    }
}

/// Drives `inflate` over the whole input, one output window at a time.
///
/// Invariant: `input` stays valid for the inflater's lifetime (it lives inside one
/// `decompress` call); zlib's 32-bit `avail_in` is refilled in chunks.
struct Inflater {
    enum Outcome { case finished, outputFull }

    let stream: ZStream
    let input: UnsafeRawBufferPointer
    var inputOffset = 0

    init(stream: ZStream, input: UnsafeRawBufferPointer) {
        self.stream = stream
        self.input = input
    }

    /// Inflates into `buffer[initialized...]` until the stream ends or the buffer is full;
    /// `initialized` is advanced by the bytes produced.
    mutating func run(into buffer: UnsafeMutableBufferPointer<UInt8>, initialized: inout Int) -> Result<Outcome, CompressionError> {
        let strm = stream.pointer
        while true {
            if initialized == buffer.count { return .success(.outputFull) }
            if strm.pointee.avail_in == 0, inputOffset < input.count {
                let chunk = min(zlibMaxChunk, input.count - inputOffset)
                strm.pointee.next_in = UnsafeMutablePointer(
                    mutating: input.baseAddress!.advanced(by: inputOffset).assumingMemoryBound(to: Bytef.self))
                strm.pointee.avail_in = UInt32(chunk)
                inputOffset += chunk
            }
            let window = min(zlibMaxChunk, buffer.count - initialized)
            strm.pointee.next_out = buffer.baseAddress!.advanced(by: initialized)
            strm.pointee.avail_out = UInt32(window)
            let code = inflate(strm, Z_NO_FLUSH)
            initialized += window - Int(strm.pointee.avail_out)
            let inputExhausted = strm.pointee.avail_in == 0 && inputOffset == input.count
            switch code {
            case Z_STREAM_END:
                if inputExhausted { return .success(.finished) }
                // Another concatenated member follows.
                guard inflateReset(strm) == Z_OK else {
                    return .failure(.zlibFailure(code: Z_STREAM_ERROR, message: "inflateReset failed"))
                }
            case Z_OK:
                if inputExhausted && strm.pointee.avail_out > 0 { return .failure(.truncatedInput) }
            case Z_BUF_ERROR:
                // No progress possible: either out of output space (loop re-checks) or out of input.
                if inputExhausted { return .failure(.truncatedInput) }
            case Z_DATA_ERROR:
                return .failure(.corruptInput(reason: stream.message(or: "invalid data")))
            case Z_NEED_DICT:
                return .failure(.corruptInput(reason: "stream needs a preset dictionary"))
            case Z_MEM_ERROR:
                return .failure(.outOfMemory)
            default:
                return .failure(.zlibFailure(code: code, message: stream.message(or: "inflate failed")))
            }
        }
    }
}
