/// Byte classes and canonical percent-encoding shared by the path and query normalizers
/// (RFC 3986 §2).
///
/// The canonical encoding of a byte is the byte itself when it is *unreserved*
/// (`A-Z a-z 0-9 - . _ ~`) and `%XX` with two **uppercase** hex digits otherwise. It is
/// injective: distinct byte strings always have distinct canonical encodings.
enum PercentEncoding {
    /// `ALPHA / DIGIT / "-" / "." / "_" / "~"` (RFC 3986 §2.3).
    @inline(__always)
    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }

    /// `sub-delims / ":" / "@"`: the reserved characters a path segment may hold literally
    /// (RFC 3986 §3.3 `pchar`, without the unreserved ones).
    @inline(__always)
    static func isPathReservedLiteral(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"),
             UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"),
             UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "="), UInt8(ascii: ":"),
             UInt8(ascii: "@"):
            true
        default:
            false
        }
    }

    /// Appends `%XX` (uppercase hex) for `byte`.
    @inline(__always)
    static func appendEscaped(_ byte: UInt8, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "%"))
        output.append(Hex.uppercaseDigit(byte >> 4))
        output.append(Hex.uppercaseDigit(byte & 0x0f))
    }

    /// Appends the canonical encoding of `byte` (see the type's documentation).
    @inline(__always)
    static func appendCanonical(_ byte: UInt8, to output: inout [UInt8]) {
        if isUnreserved(byte) {
            output.append(byte)
        } else {
            appendEscaped(byte, to: &output)
        }
    }

    /// The byte encoded by `%XX` starting at `index` (which holds `%`), or nil when the two
    /// following bytes are missing or are not hex digits.
    @inline(__always)
    static func decodedEscape<C: Collection>(in bytes: C, at index: C.Index) -> UInt8?
    where C.Element == UInt8 {
        let first = bytes.index(after: index)
        guard first != bytes.endIndex else { return nil }
        let second = bytes.index(after: first)
        guard second != bytes.endIndex,
              let high = Hex.value(ofDigit: bytes[first]),
              let low = Hex.value(ofDigit: bytes[second])
        else { return nil }
        return high << 4 | low
    }
}

extension [UInt8] {
    /// `self` as a String; callers only use it on bytes they built from ASCII.
    var asciiString: String { String(decoding: self, as: UTF8.self) }
}
