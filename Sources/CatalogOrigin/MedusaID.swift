import Foundation

/// Medusa-style identifiers: `<prefix>_<ULID>` (e.g. `prod_01HZX3…`, 26 Crockford base32 chars).
///
/// Invariant: the ULID part encodes a 48-bit millisecond timestamp then 80 random bits, so ids
/// made at different times sort by time; seeded ids take both parts from the seed, so they are
/// deterministic.
public enum MedusaID {
    private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    /// A fresh id using the clock and the system RNG (for admin writes).
    public static func make(_ prefix: String) -> String {
        var rng = SystemRandomNumberGenerator()
        return make(prefix, milliseconds: UInt64(currentMilliseconds()), using: &rng)
    }

    /// A deterministic id from a timestamp and a caller-supplied generator.
    public static func make(_ prefix: String, milliseconds: UInt64, using rng: inout some RandomNumberGenerator) -> String {
        var chars = [UInt8](repeating: 0, count: 26)
        var time = milliseconds & 0xFFFF_FFFF_FFFF
        for i in stride(from: 9, through: 0, by: -1) {
            chars[i] = alphabet[Int(time & 31)]
            time >>= 5
        }
        var random = rng.next()
        var extra = rng.next()
        for i in 10..<26 {
            if i == 22 { random = extra; extra = 0 }
            chars[i] = alphabet[Int(random & 31)]
            random >>= 5
        }
        return prefix + "_" + String(decoding: chars, as: UTF8.self)
    }

    private static func currentMilliseconds() -> Int64 {
        Int64(Date().timeIntervalSince1970 * 1000)
    }
}
