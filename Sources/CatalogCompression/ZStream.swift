import CZlib

/// A heap-allocated `z_stream` whose address never changes.
///
/// zlib keeps a back pointer from its internal state to the `z_stream` and rejects calls
/// made through a moved copy, so the stream lives in memory owned by this box. The box
/// is used by exactly one function call (``Gzip``'s one-shot operations) and is never shared.
/// `end` must be called exactly once after a successful `init*`; it is what releases zlib's
/// own allocations (`deflateEnd`/`inflateEnd`), the box's `deinit` only frees the `z_stream`.
final class ZStream {
    let pointer: UnsafeMutablePointer<z_stream>

    init() {
        pointer = .allocate(capacity: 1)
        pointer.initialize(to: z_stream())
        // zalloc/zfree/opaque are nil (Z_NULL): zlib uses malloc/free.
    }

    deinit {
        pointer.deinitialize(count: 1)
        pointer.deallocate()
    }

    /// zlib's last message for this stream, or a generic fallback.
    func message(or fallback: String) -> String {
        guard let msg = pointer.pointee.msg else { return fallback }
        return String(cString: msg)
    }
}

/// The largest chunk zlib's 32-bit `avail_in`/`avail_out` can describe.
let zlibMaxChunk = Int(UInt32.max)
