/// Turns a raw request path into the one canonical form used for route matching and keys,
/// or rejects it.
///
/// Input: the path component of the request target only (everything before `?`).
///
/// Output, when accepted, is ASCII and satisfies:
/// - starts with `/`; no empty segments (duplicate slashes are collapsed), except that a
///   trailing slash is kept (`/a/` stays distinct from `/a`);
/// - no `.` or `..` segments: they are resolved as in RFC 3986 §5.2.4 (`..` above the root
///   stays at the root), after percent-decoding, so `/%2e%2e/` is a `..` segment too;
/// - unreserved characters are never percent-encoded; every other byte that is not allowed
///   literally in a path segment (including non-ASCII bytes) is encoded as `%XX` in uppercase;
///   reserved characters keep the form they came in (`;` and `%3B` stay different, because an
///   origin may treat them differently).
///
/// Rejected (nil), so the proxy can answer 400 instead of guessing:
/// - empty, or not starting with `/`;
/// - a literal or percent-encoded control character (0x00–0x1F, 0x7F);
/// - an encoded slash (`%2F`) or any backslash, literal or encoded (`%5C`): these are the
///   classic ways to make a proxy and an origin disagree on where segments end;
/// - a `%` not followed by two hex digits;
/// - `?` or `#` (the caller must have split the query off; a fragment is never sent).
public enum PathNormalizer {
    /// The canonical form of `rawPath`, or nil when it must be rejected (see the type docs).
    public static func normalize(_ rawPath: String) -> String? {
        var path = rawPath
        return path.withUTF8 { normalize(bytes: $0) }
    }

    static func normalize(bytes raw: UnsafeBufferPointer<UInt8>) -> String? {
        guard raw.first == UInt8(ascii: "/") else { return nil }

        // Pass 1: validate and canonicalize the encoding of every segment.
        var segments: [[UInt8]] = []
        var current: [UInt8] = []
        var index = 1
        while index < raw.count {
            let byte = raw[index]
            switch byte {
            case UInt8(ascii: "/"):
                segments.append(current)
                current.removeAll(keepingCapacity: true)
            case UInt8(ascii: "%"):
                guard let decoded = PercentEncoding.decodedEscape(in: raw, at: index) else { return nil }
                guard !isControl(decoded), decoded != UInt8(ascii: "/"), decoded != UInt8(ascii: "\\") else {
                    return nil
                }
                if PercentEncoding.isUnreserved(decoded) {
                    current.append(decoded)
                } else {
                    PercentEncoding.appendEscaped(decoded, to: &current)
                }
                index += 2
            case UInt8(ascii: "\\"), UInt8(ascii: "?"), UInt8(ascii: "#"):
                return nil
            default:
                guard !isControl(byte) else { return nil }
                if PercentEncoding.isUnreserved(byte) || PercentEncoding.isPathReservedLiteral(byte) {
                    current.append(byte)
                } else {
                    PercentEncoding.appendEscaped(byte, to: &current)
                }
            }
            index += 1
        }
        segments.append(current)

        // Pass 2: remove empty and dot segments (RFC 3986 §5.2.4), remembering whether the
        // path ends in a directory (a trailing slash, or a final "." / ".." segment).
        var output: [[UInt8]] = []
        output.reserveCapacity(segments.count)
        var endsWithSlash = false
        for (position, segment) in segments.enumerated() {
            let isLast = position == segments.count - 1
            if segment.isEmpty || segment == dot {
                endsWithSlash = isLast
            } else if segment == dotDot {
                _ = output.popLast()
                endsWithSlash = isLast
            } else {
                output.append(segment)
                endsWithSlash = false
            }
        }

        var result: [UInt8] = [UInt8(ascii: "/")]
        for (position, segment) in output.enumerated() {
            if position > 0 { result.append(UInt8(ascii: "/")) }
            result.append(contentsOf: segment)
        }
        if endsWithSlash && !output.isEmpty { result.append(UInt8(ascii: "/")) }
        return result.asciiString
    }

    private static let dot: [UInt8] = [UInt8(ascii: ".")]
    private static let dotDot: [UInt8] = [UInt8(ascii: "."), UInt8(ascii: ".")]

    @inline(__always)
    private static func isControl(_ byte: UInt8) -> Bool { byte < 0x20 || byte == 0x7f }
}
