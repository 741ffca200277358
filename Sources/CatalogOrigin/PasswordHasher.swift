import CatalogCacheCore

/// Salted, slow password hashes: PBKDF2-HMAC-SHA256 (RFC 8018) over the core's SHA-256.
///
/// Stored form: `pbkdf2-sha256$<iterations>$<salt hex>$<key hex>` (16-byte salt, 32-byte key),
/// so the work factor can rise without invalidating stored hashes.
///
/// Invariants: the same password and salt give the same key; `verify` compares keys in time
/// independent of where they differ; a malformed stored hash verifies nothing. Hashing is
/// CPU-bound (about `iterations` × 2 SHA-256 blocks): callers run it off event loops.
public enum PasswordHasher {
    /// Default work factor for stored admin passwords.
    public static let defaultIterations = 100_000
    static let saltByteCount = 16
    static let iterationRange = 1...10_000_000

    /// A new stored hash of `password` with a fresh random salt.
    public static func hash(_ password: String, iterations: Int = defaultIterations) -> String {
        var rng = SystemRandomNumberGenerator()
        let salt = (0..<saltByteCount).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let key = derive(password: Array(password.utf8), salt: salt, iterations: iterations)
        return "pbkdf2-sha256$\(iterations)$\(Hex.lowercase(salt))$\(Hex.lowercase(key))"
    }

    /// True when `password` matches `stored`.
    public static func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "pbkdf2-sha256", let iterations = Int(parts[1]),
              iterationRange.contains(iterations),
              let salt = bytes(fromHex: parts[2]), let expected = bytes(fromHex: parts[3]), expected.count == 32
        else { return false }
        let key = derive(password: Array(password.utf8), salt: salt, iterations: iterations)
        var difference: UInt8 = 0
        for (a, b) in zip(key, expected) { difference |= a ^ b }
        return difference == 0
    }

    /// PBKDF2 with HMAC-SHA256, one 32-byte block (dkLen = hLen).
    static func derive(password: [UInt8], salt: [UInt8], iterations: Int) -> [UInt8] {
        let mac = HMACSHA256(key: password)
        var u = mac.authenticate(salt + [0, 0, 0, 1])
        var result = u
        for _ in 1..<max(iterations, 1) {
            u = mac.authenticate(u)
            for i in 0..<result.count { result[i] ^= u[i] }
        }
        return result
    }

    static func bytes(fromHex text: Substring) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0, !utf8.isEmpty else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        var i = 0
        while i < utf8.count {
            guard let high = hexValue(utf8[i]), let low = hexValue(utf8[i + 1]) else { return nil }
            out.append(high << 4 | low)
            i += 2
        }
        return out
    }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: return b - 0x30
        case 0x61...0x66: return b - 0x61 + 10
        default: return nil
        }
    }
}

/// HMAC-SHA256 (RFC 2104) with the keyed inner and outer states computed once, so each
/// message costs two SHA-256 finalisations of short inputs.
struct HMACSHA256: Sendable {
    private let inner: SHA256
    private let outer: SHA256

    init(key: [UInt8]) {
        var block = key.count > 64 ? SHA256.hash(key) : key
        block += [UInt8](repeating: 0, count: 64 - block.count)
        var inner = SHA256()
        inner.update(block.map { $0 ^ 0x36 })
        var outer = SHA256()
        outer.update(block.map { $0 ^ 0x5c })
        self.inner = inner
        self.outer = outer
    }

    func authenticate(_ message: [UInt8]) -> [UInt8] {
        var i = inner
        i.update(message)
        var o = outer
        o.update(i.finalize())
        return o.finalize()
    }
}
