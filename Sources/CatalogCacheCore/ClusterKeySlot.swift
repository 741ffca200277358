/// The Redis Cluster hash slot of a key: CRC16 (XMODEM: polynomial 0x1021, initial value 0,
/// no reflection, no final XOR) of the key, or of its hash tag, modulo 16384.
///
/// The hash tag is what lies between the key's FIRST `{` and the first `}` after it, when
/// that is not empty (`{user}.a` and `{user}.b` share a slot; `{}x`, `x{` and `x}y{` hash
/// whole). This is the Redis Cluster specification's rule, the same as `CLUSTER KEYSLOT`.
public enum ClusterKeySlot {
    /// The number of hash slots in a Redis Cluster (fixed by the protocol).
    public static let count = 16384

    /// The slot of `key`'s bytes, in `0..<16384`.
    public static func slot(of key: some Collection<UInt8>) -> Int {
        let bytes = Array(key)
        return Int(crc16(hashedPart(of: bytes)) & 0x3FFF)
    }

    /// The slot of `key`'s UTF-8 bytes.
    public static func slot(of key: String) -> Int {
        slot(of: key.utf8)
    }

    /// The bytes the slot is computed from: the non-empty hash tag, else the whole key.
    public static func hashedPart(of key: [UInt8]) -> ArraySlice<UInt8> {
        guard let open = key.firstIndex(of: UInt8(ascii: "{")) else { return key[...] }
        let afterOpen = key.index(after: open)
        guard let close = key[afterOpen...].firstIndex(of: UInt8(ascii: "}")), close != afterOpen else {
            return key[...]
        }
        return key[afterOpen..<close]
    }

    /// CRC16-XMODEM of `bytes`.
    public static func crc16(_ bytes: some Collection<UInt8>) -> UInt16 {
        var crc: UInt16 = 0
        for byte in bytes {
            crc = (crc << 8) ^ table[Int(UInt8(truncatingIfNeeded: crc >> 8) ^ byte)]
        }
        return crc
    }

    private static let table: [UInt16] = (0..<256).map { index in
        var crc = UInt16(index) << 8
        for _ in 0..<8 {
            crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1
        }
        return crc
    }
}
