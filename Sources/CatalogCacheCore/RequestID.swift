/// Request ids: the one a client or load balancer sent (`X-Request-Id`) when it is sane,
/// otherwise one made from a per-process random prefix and a sequence number (no
/// randomness per request).
public enum RequestID {
    public static let headerName = "X-Request-Id"
    public static let maxLength = 128

    /// 1 to 128 characters from `A-Z a-z 0-9 - _ . : + / =` (UUIDs, hex, base64, ULIDs,
    /// AWS and Heroku style ids): nothing that could break a log line or a header.
    public static func isAcceptable<S: StringProtocol>(_ value: S) -> Bool {
        let utf8 = value.utf8
        guard !utf8.isEmpty, utf8.count <= maxLength else { return false }
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: ":"), UInt8(ascii: "+"),
                 UInt8(ascii: "/"), UInt8(ascii: "="):
                continue
            default:
                return false
            }
        }
        return true
    }

    /// A per-process prefix: 12 lowercase hex digits of `random`.
    public static func prefix(random: UInt64) -> String {
        let hex = String(random & 0xFFFF_FFFF_FFFF, radix: 16)
        return String(repeating: "0", count: 12 - hex.count) + hex
    }

    /// `<prefix>-<sequence in hex, at least 6 digits>`: unique per process and start.
    public static func make(prefix: String, sequence: UInt64) -> String {
        let hex = String(sequence, radix: 16)
        return prefix + "-" + (hex.count < 6 ? String(repeating: "0", count: 6 - hex.count) + hex : hex)
    }
}
