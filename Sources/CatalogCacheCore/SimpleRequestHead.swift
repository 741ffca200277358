/// A strict parser for the plainest HTTP/1.1 requests: a complete `GET` or `HEAD` head with
/// no body and nothing unusual in it. It lets the proxy answer such requests (nearly every
/// request a CDN or a storefront sends) without the general HTTP decoder, and declines
/// everything else, which then goes to that decoder unchanged.
///
/// Accepted, byte for byte (anything else is declined, never repaired):
/// - request line `GET|HEAD SP target SP HTTP/1.1|HTTP/1.0 CRLF`, the target in origin form
///   (`/` first) made of RFC 3986's path and query characters (unreserved, sub-delims, `:@/?%`);
/// - at most `maxFields` fields `name ":" [SP|HTAB]* value CRLF`: the name an RFC 9110 token,
///   the value visible ASCII with single inner spaces or tabs, not ending in one (so there is
///   nothing to trim), possibly empty;
/// - none of the fields that give a request a body or change how it is read
///   (`Content-Length`, `Transfer-Encoding`, `Expect`, `Upgrade`);
/// - an empty line (`CRLF`) ending the head within `maxHeadBytes`.
/// Bare LF, CR without LF, obs-fold (a line starting with SP or HTAB), NUL and other control
/// characters, and bytes above 0x7E are all declined. So whatever is accepted means the same
/// to any conforming parser, and in particular to the general decoder it bypasses (a test
/// compares the two on generated requests): no request can be read one way here and another
/// way there.
public enum SimpleRequestHead {
    public static let maxHeadBytes = 8192
    public static let maxFields = 64

    public struct Head: Equatable, Sendable {
        public var isHead: Bool
        /// 1 for HTTP/1.1, 0 for HTTP/1.0.
        public var minorVersion: Int
        public var target: String
        public var fields: [(name: String, value: String)]
        /// Bytes of the head, including the final empty line.
        public var length: Int

        public static func == (a: Head, b: Head) -> Bool {
            a.isHead == b.isHead && a.minorVersion == b.minorVersion && a.target == b.target && a.length == b.length
                && a.fields.map(\.name) == b.fields.map(\.name) && a.fields.map(\.value) == b.fields.map(\.value)
        }
    }

    public enum Result: Equatable, Sendable {
        /// A complete plain head at the start of the bytes.
        case head(Head)
        /// The bytes may start a plain head that is not complete yet.
        case incomplete
        /// Not a plain head: leave it to the general decoder.
        case declined
    }

    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Result {
        var p = Reader(bytes: bytes)
        let isHead: Bool
        if p.skip("GET ") {
            isHead = false
        } else if p.skip("HEAD ") {
            isHead = true
        } else {
            return p.atEnd || p.couldStart("GET ") || p.couldStart("HEAD ") ? .incomplete : .declined
        }
        let targetStart = p.index
        // Origin-form only: the absolute form and `*` go to the general decoder.
        if let first = p.peek(), first != UInt8(ascii: "/") { return .declined }
        while let byte = p.peek(), byte != 0x20 {
            guard isTargetByte(byte) else { return .declined }
            p.index += 1
        }
        guard !p.atEnd else { return p.index > maxHeadBytes ? .declined : .incomplete }
        guard p.index > targetStart else { return .declined }
        let target = p.string(from: targetStart)
        p.index += 1
        guard p.has(10) else { return p.couldStart("HTTP/1.1\r\n") || p.couldStart("HTTP/1.0\r\n") ? .incomplete : .declined }
        let minorVersion: Int
        if p.skip("HTTP/1.1\r\n") {
            minorVersion = 1
        } else if p.skip("HTTP/1.0\r\n") {
            minorVersion = 0
        } else {
            return .declined
        }
        var fields: [(name: String, value: String)] = []
        while true {
            guard p.index <= maxHeadBytes else { return .declined }
            guard let first = p.peek() else { return .incomplete }
            if first == 0x0D {
                guard p.has(2) else { return .incomplete }
                guard p.byte(at: p.index + 1) == 0x0A else { return .declined }
                p.index += 2
                guard p.index <= maxHeadBytes else { return .declined }
                return .head(Head(isHead: isHead, minorVersion: minorVersion, target: target, fields: fields, length: p.index))
            }
            guard fields.count < maxFields else { return .declined }
            let nameStart = p.index
            while let byte = p.peek(), byte != UInt8(ascii: ":") {
                guard HTTPToken.isTokenCharacter(byte) else { return .declined }
                p.index += 1
            }
            guard !p.atEnd else { return .incomplete }
            guard p.index > nameStart else { return .declined }
            let name = p.string(from: nameStart)
            guard !framingField(name) else { return .declined }
            p.index += 1
            while let byte = p.peek(), byte == 0x20 || byte == 0x09 { p.index += 1 }
            let valueStart = p.index
            while let byte = p.peek(), byte != 0x0D {
                guard (byte > 0x20 && byte < 0x7F) || byte == 0x20 || byte == 0x09 else { return .declined }
                p.index += 1
            }
            guard p.has(2) else { return .incomplete }
            guard p.byte(at: p.index + 1) == 0x0A else { return .declined }
            if p.index > valueStart {
                let last = p.byte(at: p.index - 1)
                if last == 0x20 || last == 0x09 { return .declined }
            }
            fields.append((name, p.string(from: valueStart)))
            p.index += 2
        }
    }

    /// RFC 3986 `pchar`, `/`, `?` and `%`: unreserved, sub-delims, `:` `@` `/` `?` `%`.
    static func isTargetByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"),
             UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"),
             UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "="),
             UInt8(ascii: ":"), UInt8(ascii: "@"), UInt8(ascii: "/"), UInt8(ascii: "?"), UInt8(ascii: "%"):
            return true
        default:
            return false
        }
    }

    /// Fields that give a request a body or change how the connection is read.
    static func framingField(_ name: String) -> Bool {
        let utf8 = name.utf8
        return HTTPToken.equalsIgnoringCase(utf8, "content-length".utf8) || HTTPToken.equalsIgnoringCase(utf8, "transfer-encoding".utf8)
            || HTTPToken.equalsIgnoringCase(utf8, "expect".utf8) || HTTPToken.equalsIgnoringCase(utf8, "upgrade".utf8)
    }

    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        var atEnd: Bool { index >= bytes.count }
        func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }
        func byte(at i: Int) -> UInt8 { bytes[i] }
        func has(_ n: Int) -> Bool { bytes.count - index >= n }

        mutating func skip(_ literal: StaticString) -> Bool {
            let n = literal.utf8CodeUnitCount
            guard has(n) else { return false }
            for i in 0..<n where bytes[index + i] != literal.utf8Start[i] { return false }
            index += n
            return true
        }

        /// The remaining bytes are a proper prefix of `literal`.
        func couldStart(_ literal: StaticString) -> Bool {
            let left = bytes.count - index
            guard left < literal.utf8CodeUnitCount else { return false }
            for i in 0..<left where bytes[index + i] != literal.utf8Start[i] { return false }
            return true
        }

        func string(from start: Int) -> String {
            String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        }
    }
}
