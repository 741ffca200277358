import NIOCore
import NIOHTTP1

/// The proxy port's only HTTP/1.1 response encoder: a `ProxyResponse` to the bytes that go
/// on the wire, in one buffer (plus the body as a second one when it is large).
///
/// Framing is decided here from the request's method, the status and the body, never taken
/// on trust from the response's headers (which may come from the upstream):
/// - a response that can carry a body (not to HEAD, not 1xx, 204 or 304) has exactly one
///   `Content-Length`, the number of body bytes that follow, and no `Transfer-Encoding`;
/// - 1xx and 204 have neither; a 304 and an answer to HEAD keep the `Content-Length` they
///   were given (the representation's) and never a body or `Transfer-Encoding`;
/// - `Connection` is the connection handler's decision alone (`close`, `keep-alive` for
///   HTTP/1.0 clients, or none), whatever the response carried.
/// A header whose name is not an RFC 9110 token, or whose value holds a control character
/// other than HTAB (CR and LF included), makes `serialize` answer nil: no header can split
/// a response or smuggle a second one. An entry's header block (`EntryHeaderBlock`) was
/// checked by the same rules when it was made, and is written as it is.
enum ResponseSerializer {
    /// The `Connection` header the handler wants on a response.
    enum ConnectionHeader {
        case none, close, keepAlive
    }

    /// Bodies up to this size are copied behind the head (one buffer, one `write`); larger
    /// ones are written as their own buffer (no copy, a two-element `writev`).
    static let copyBodyLimit = 16 * 1024

    static func serialize(
        _ response: ProxyResponse, method: HTTPMethod, connection: ConnectionHeader, allocator: ByteBufferAllocator
    ) -> (head: ByteBuffer, body: ByteBuffer?)? {
        let status = response.head.status
        let code = status.code
        let mayHaveBody = method != .HEAD && code >= 200 && code != 204 && code != 304
        let body = mayHaveBody ? response.body : nil
        let bodyBytes = body?.readableBytes ?? 0
        let copyBody = bodyBytes <= copyBodyLimit
        var out = allocator.buffer(capacity: 256 + (response.preparedHeaders?.block.readableBytes ?? response.head.headers.count * 48) + (copyBody ? bodyBytes : 0))
        writeStatusLine(version: response.head.version, status: status, into: &out)
        if let prepared = response.preparedHeaders {
            // Checked and framed when made: its Content-Length is the body's (or, for HEAD, the
            // representation's).
            out.writeImmutableBuffer(prepared.block)
            out.writeStaticString("Age: ")
            writeDecimal(max(prepared.age, 0), into: &out)
            out.writeStaticString("\r\n")
            return finish(&out, connection: connection, body: body, copyBody: copyBody)
        }
        for (name, value) in response.head.headers {
            switch FramingHeader(name) {
            case .contentLength:
                // Kept only where it describes a body that is not sent (HEAD, 304).
                if mayHaveBody || code < 200 || code == 204 { continue }
            case .transferEncoding, .connection:
                continue
            case .other:
                break
            }
            guard writeField(name: name, value: value, into: &out) else { return nil }
        }
        if mayHaveBody {
            out.writeStaticString("Content-Length: ")
            writeDecimal(bodyBytes, into: &out)
            out.writeStaticString("\r\n")
        }
        return finish(&out, connection: connection, body: body, copyBody: copyBody)
    }

    /// `Connection`, the end of the head, and the body (copied behind it when small).
    private static func finish(_ out: inout ByteBuffer, connection: ConnectionHeader, body: ByteBuffer?, copyBody: Bool) -> (head: ByteBuffer, body: ByteBuffer?) {
        switch connection {
        case .none: break
        case .close: out.writeStaticString("Connection: close\r\n")
        case .keepAlive: out.writeStaticString("Connection: keep-alive\r\n")
        }
        out.writeStaticString("\r\n")
        guard let body, body.readableBytes > 0 else { return (out, nil) }
        if copyBody {
            out.writeImmutableBuffer(body)
            return (out, nil)
        }
        return (out, body)
    }

    /// `HTTP/1.1 200 OK\r\n`; the version is the request's (1.0 or 1.1).
    static func writeStatusLine(version: HTTPVersion, status: HTTPResponseStatus, into out: inout ByteBuffer) {
        if version.major == 1 && version.minor == 1 {
            switch status.code {
            case 200: out.writeStaticString("HTTP/1.1 200 OK\r\n"); return
            case 304: out.writeStaticString("HTTP/1.1 304 Not Modified\r\n"); return
            default: out.writeStaticString("HTTP/1.1 ")
            }
        } else {
            out.writeStaticString("HTTP/")
            writeDecimal(Int(version.major), into: &out)
            out.writeStaticString(".")
            writeDecimal(Int(version.minor), into: &out)
            out.writeStaticString(" ")
        }
        writeDecimal(Int(status.code), into: &out)
        out.writeStaticString(" ")
        // A reason phrase made of anything but visible characters and spaces is left out.
        let reason = status.reasonPhrase
        if reason.utf8.allSatisfy({ $0 == 0x20 || $0 == 0x09 || (0x21...0x7E).contains($0) || $0 >= 0x80 }) {
            out.writeString(reason)
        }
        out.writeStaticString("\r\n")
    }

    /// `name: value\r\n` when both are valid; false (nothing written) otherwise.
    static func writeField(name: String, value: String, into out: inout ByteBuffer) -> Bool {
        guard isToken(name), isFieldValue(value) else { return false }
        out.writeString(name)
        out.writeStaticString(": ")
        out.writeString(value)
        out.writeStaticString("\r\n")
        return true
    }

    static func writeDecimal(_ value: Int, into out: inout ByteBuffer) {
        precondition(value >= 0)
        if value < 10 {
            out.writeInteger(UInt8(ascii: "0") &+ UInt8(value))
            return
        }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { raw in
            while rest > 0 {
                raw[23 - count] = UInt8(ascii: "0") &+ UInt8(rest % 10)
                rest /= 10
                count += 1
            }
            out.writeBytes(UnsafeRawBufferPointer(rebasing: raw[(24 - count)...]))
        }
    }

    /// RFC 9110 `token`: one or more of ALPHA, DIGIT and ``!#$%&'*+-.^_`|~``.
    static func isToken(_ name: String) -> Bool {
        var nonEmpty = false
        for byte in name.utf8 {
            nonEmpty = true
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
                 UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
                 UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
                continue
            default:
                return false
            }
        }
        return nonEmpty
    }

    /// RFC 9110 `field-value` as sent: no control characters but HTAB (so no CR, LF or NUL).
    static func isFieldValue(_ value: String) -> Bool {
        for byte in value.utf8 where (byte < 0x20 && byte != 0x09) || byte == 0x7F {
            return false
        }
        return true
    }
}

/// The response headers that frame the message, recognised without allocating.
private enum FramingHeader {
    case contentLength, transferEncoding, connection, other

    init(_ name: String) {
        let utf8 = name.utf8
        switch utf8.count {
        case 14 where Self.equalsLowercased(utf8, "content-length"): self = .contentLength
        case 17 where Self.equalsLowercased(utf8, "transfer-encoding"): self = .transferEncoding
        case 10 where Self.equalsLowercased(utf8, "connection"): self = .connection
        default: self = .other
        }
    }

    private static func equalsLowercased(_ utf8: String.UTF8View, _ lowercase: StaticString) -> Bool {
        var index = 0
        let expected = UnsafeBufferPointer(start: lowercase.utf8Start, count: lowercase.utf8CodeUnitCount)
        for byte in utf8 {
            let folded = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
            guard folded == expected[index] else { return false }
            index += 1
        }
        return true
    }
}
