import NIOCore

/// A Lua script sent by its SHA-1 (`EVALSHA`), with its text only when the server does not
/// know it yet.
///
/// Invariant: ``sha1`` is the lowercase hex SHA-1 of ``source``'s UTF-8 bytes, the id Redis
/// gives the script (`SCRIPT LOAD` answers the same), computed once when the value is made.
public struct RedisScript: Sendable, Hashable {
    public let source: String
    public let sha1: String

    public init(_ source: String) {
        self.source = source
        self.sha1 = SHA1.hex(Array(source.utf8))
    }
}

extension RedisClient {
    /// Runs `script` with `EVALSHA`; when the server answers `NOSCRIPT` (a restarted or
    /// flushed Redis, or a new node), sends it once more with `EVAL`, which also makes the
    /// server keep it for the next `EVALSHA`. The future completes on `eventLoop`.
    public func run(_ script: RedisScript, keys: [String] = [], args: [ByteBuffer] = [], on eventLoop: EventLoop) -> EventLoopFuture<RESPValue> {
        send(.evalsha(script.sha1, keys: keys, args: args), on: eventLoop).flatMapError { error in
            guard case .server(let message) = error as? RedisError, message.hasPrefix("NOSCRIPT") else {
                return eventLoop.makeFailedFuture(error)
            }
            return self.send(.eval(script.source, keys: keys, args: args), on: eventLoop)
        }
    }
}

/// SHA-1 (FIPS 180-4), only to name Lua scripts as Redis does; never used for security.
enum SHA1 {
    static func hex(_ message: [UInt8]) -> String {
        var h: (UInt32, UInt32, UInt32, UInt32, UInt32) = (0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0)
        var padded = message
        padded.append(0x80)
        while padded.count % 64 != 56 { padded.append(0) }
        let bitLength = UInt64(message.count) * 8
        for shift in stride(from: 56, through: 0, by: -8) { padded.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
        var w = [UInt32](repeating: 0, count: 80)
        for block in stride(from: 0, to: padded.count, by: 64) {
            for i in 0..<16 {
                let j = block + i * 4
                w[i] = UInt32(padded[j]) << 24 | UInt32(padded[j + 1]) << 16 | UInt32(padded[j + 2]) << 8 | UInt32(padded[j + 3])
            }
            for i in 16..<80 { w[i] = rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1) }
            var (a, b, c, d, e) = h
            for i in 0..<80 {
                let (f, k): (UInt32, UInt32)
                switch i {
                case 0..<20: (f, k) = ((b & c) | (~b & d), 0x5A82_7999)
                case 20..<40: (f, k) = (b ^ c ^ d, 0x6ED9_EBA1)
                case 40..<60: (f, k) = ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC)
                default: (f, k) = (b ^ c ^ d, 0xCA62_C1D6)
                }
                let t = rotl(a, 5) &+ f &+ e &+ k &+ w[i]
                (a, b, c, d, e) = (t, a, rotl(b, 30), c, d)
            }
            h = (h.0 &+ a, h.1 &+ b, h.2 &+ c, h.3 &+ d, h.4 &+ e)
        }
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for word in [h.0, h.1, h.2, h.3, h.4] {
            for shift in stride(from: 28, through: 0, by: -4) { out.append(digits[Int((word >> UInt32(shift)) & 0xF)]) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func rotl(_ x: UInt32, _ n: UInt32) -> UInt32 { (x << n) | (x >> (32 - n)) }
}
