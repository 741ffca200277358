/// SHA-256 (FIPS 180-4) in pure Swift.
///
/// Used for cache-key hashes and ETags, not for secrets: it is not constant-time.
///
/// Use the one-shot `hash(_:)`/`hex(_:)`, or feed bytes incrementally:
///
///     var hasher = SHA256()
///     hasher.update("ab".utf8)
///     hasher.update("c".utf8)
///     let digest = hasher.finalize()   // 32 bytes
///
/// Invariant: `buffer` always holds fewer than 64 bytes (the unprocessed tail of the message),
/// and `messageLength` counts every byte passed to `update` so far.
public struct SHA256: Sendable {
    /// Length of a digest in bytes.
    public static let digestByteCount = 32
    private static let blockByteCount = 64

    private var state: State = (
        0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a,
        0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19
    )
    private var buffer: [UInt8] = []
    private var messageLength: UInt64 = 0

    public init() {
        buffer.reserveCapacity(SHA256.blockByteCount)
    }

    /// The 32-byte digest of `bytes`.
    public static func hash<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// The digest of `bytes` as 64 lowercase hexadecimal characters.
    public static func hex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        Hex.lowercase(hash(bytes))
    }

    /// Appends `bytes` to the message.
    public mutating func update<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        let handled: Void? = bytes.withContiguousStorageIfAvailable { contiguous in
            update(contiguous: UnsafeRawBufferPointer(contiguous))
        }
        if handled == nil {
            let copy = Array(bytes)
            copy.withUnsafeBytes { update(contiguous: $0) }
        }
    }

    /// Appends raw bytes to the message.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        update(contiguous: bytes)
    }

    /// Appends `value` as 8 big-endian bytes.
    mutating func update(bigEndian value: UInt64) {
        withUnsafeBytes(of: value.bigEndian) { update(contiguous: $0) }
    }

    private mutating func update(contiguous input: UnsafeRawBufferPointer) {
        messageLength &+= UInt64(input.count)
        var offset = 0
        if !buffer.isEmpty {
            let take = min(SHA256.blockByteCount - buffer.count, input.count)
            buffer.append(contentsOf: input[0..<take])
            offset = take
            guard buffer.count == SHA256.blockByteCount else { return }
            buffer.withUnsafeBytes { SHA256.compress(state: &state, block: $0) }
            buffer.removeAll(keepingCapacity: true)
        }
        while input.count - offset >= SHA256.blockByteCount {
            SHA256.compress(
                state: &state,
                block: UnsafeRawBufferPointer(rebasing: input[offset..<(offset + SHA256.blockByteCount)])
            )
            offset += SHA256.blockByteCount
        }
        if offset < input.count {
            buffer.append(contentsOf: input[offset...])
        }
    }

    /// The digest of everything passed to `update` so far.
    ///
    /// Non-mutating: the hasher can keep receiving bytes afterwards, and a later `finalize`
    /// covers the longer message.
    public func finalize() -> [UInt8] {
        var copy = self
        let bitLength = messageLength &* 8
        var padding: [UInt8] = [0x80]
        let afterMarker = (buffer.count + 1) % SHA256.blockByteCount
        let zeroCount = afterMarker <= 56 ? 56 - afterMarker : 56 + SHA256.blockByteCount - afterMarker
        padding.append(contentsOf: repeatElement(0, count: zeroCount))
        withUnsafeBytes(of: bitLength.bigEndian) { padding.append(contentsOf: $0) }
        padding.withUnsafeBytes { copy.update(contiguous: $0) }
        precondition(copy.buffer.isEmpty, "SHA-256 padding must end on a block boundary")

        var digest: [UInt8] = []
        digest.reserveCapacity(SHA256.digestByteCount)
        let words = [copy.state.0, copy.state.1, copy.state.2, copy.state.3,
                     copy.state.4, copy.state.5, copy.state.6, copy.state.7]
        for word in words {
            digest.append(UInt8(truncatingIfNeeded: word >> 24))
            digest.append(UInt8(truncatingIfNeeded: word >> 16))
            digest.append(UInt8(truncatingIfNeeded: word >> 8))
            digest.append(UInt8(truncatingIfNeeded: word))
        }
        return digest
    }

    private typealias State = (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32)

    /// Processes one 64-byte block (FIPS 180-4 §6.2.2).
    private static func compress(state: inout State, block: UnsafeRawBufferPointer) {
        var schedule = (
            UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0),
            UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0),
            UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0),
            UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0),
            UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0),
            UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0),
            UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0),
            UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0), UInt32(0)
        )
        withUnsafeMutableBytes(of: &schedule) { raw in
            let w = raw.bindMemory(to: UInt32.self)
            for i in 0..<16 {
                let base = i * 4
                w[i] = UInt32(block[base]) << 24 | UInt32(block[base + 1]) << 16
                    | UInt32(block[base + 2]) << 8 | UInt32(block[base + 3])
            }
            for i in 16..<64 {
                let s0 = w[i - 15].rotatedRight(7) ^ w[i - 15].rotatedRight(18) ^ (w[i - 15] >> 3)
                let s1 = w[i - 2].rotatedRight(17) ^ w[i - 2].rotatedRight(19) ^ (w[i - 2] >> 10)
                w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
            }
            var (a, b, c, d, e, f, g, h) = state
            SHA256.roundConstants.withUnsafeBufferPointer { k in
                for i in 0..<64 {
                    let s1 = e.rotatedRight(6) ^ e.rotatedRight(11) ^ e.rotatedRight(25)
                    let choice = (e & f) ^ (~e & g)
                    let t1 = h &+ s1 &+ choice &+ k[i] &+ w[i]
                    let s0 = a.rotatedRight(2) ^ a.rotatedRight(13) ^ a.rotatedRight(22)
                    let majority = (a & b) ^ (a & c) ^ (b & c)
                    let t2 = s0 &+ majority
                    h = g; g = f; f = e; e = d &+ t1
                    d = c; c = b; b = a; a = t1 &+ t2
                }
            }
            state = (state.0 &+ a, state.1 &+ b, state.2 &+ c, state.3 &+ d,
                     state.4 &+ e, state.5 &+ f, state.6 &+ g, state.7 &+ h)
        }
    }

    private static let roundConstants: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]
}

extension UInt32 {
    @inline(__always)
    fileprivate func rotatedRight(_ count: UInt32) -> UInt32 {
        (self >> count) | (self << (32 - count))
    }
}
