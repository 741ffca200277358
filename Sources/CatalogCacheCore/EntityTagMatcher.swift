/// Evaluates `If-None-Match` (RFC 9110 §13.1.2) against a representation's entity tag.
public enum EntityTagMatcher {
    /// Whether `header` (an `If-None-Match` value) matches `etag`, in which case a GET or HEAD
    /// gets 304 Not Modified.
    ///
    /// - `*` (the whole field) matches any current representation.
    /// - Otherwise the field is a comma-separated list of entity tags, `"opaque"` or
    ///   `W/"opaque"`, compared with the weak comparison function: `W/"x"` matches `"x"`.
    ///   An opaque tag may contain commas (anything but `"`), so the list is split by walking the
    ///   quoted strings, not on every comma.
    /// - `etag` is the representation's tag as sent in `ETag` (`"x"` or `W/"x"`); a bare value
    ///   without quotes is taken as the opaque tag itself.
    /// - A malformed field (an element that is not an entity tag, `*` inside a list) matches
    ///   nothing: the full response is always a correct answer, a wrong 304 is not.
    public static func ifNoneMatch(_ header: String, matches etag: String) -> Bool {
        let target = opaqueTag(of: etag)
        var field = header
        return field.withUTF8 { bytes -> Bool in
            var index = 0
            func skipWhitespace() {
                while index < bytes.count, HTTPToken.isWhitespace(bytes[index]) { index += 1 }
            }
            skipWhitespace()
            var end = bytes.count
            while end > index, HTTPToken.isWhitespace(bytes[end - 1]) { end -= 1 }
            if end - index == 1, bytes[index] == UInt8(ascii: "*") { return true }

            var matched = false
            var sawTag = false
            while index < end {
                // Separators: commas and whitespace between elements (empty elements are allowed).
                if bytes[index] == UInt8(ascii: ",") || HTTPToken.isWhitespace(bytes[index]) {
                    index += 1
                    continue
                }
                if bytes[index] == UInt8(ascii: "W"), index + 1 < end, bytes[index + 1] == UInt8(ascii: "/") {
                    index += 2
                }
                guard index < end, bytes[index] == UInt8(ascii: "\"") else { return false }
                let start = index + 1
                var close = start
                while close < end, bytes[close] != UInt8(ascii: "\"") {
                    guard isEntityTagCharacter(bytes[close]) else { return false }
                    close += 1
                }
                guard close < end else { return false }
                if UnsafeBufferPointer(rebasing: bytes[start..<close]).elementsEqual(target) { matched = true }
                sawTag = true
                index = close + 1
                // After a tag: only whitespace, then a comma or the end.
                skipWhitespace()
                guard index >= end || bytes[index] == UInt8(ascii: ",") else { return false }
            }
            return sawTag && matched
        }
    }

    /// `etagc` of RFC 9110 §8.8.3: `!` and `#`–`~`, plus obs-text.
    private static func isEntityTagCharacter(_ byte: UInt8) -> Bool {
        byte == 0x21 || (0x23...0x7e).contains(byte) || byte >= 0x80
    }

    private static func opaqueTag(of etag: String) -> [UInt8] {
        var bytes = Array(etag.utf8)
        if bytes.starts(with: "W/".utf8) { bytes.removeFirst(2) }
        if bytes.count >= 2, bytes.first == UInt8(ascii: "\""), bytes.last == UInt8(ascii: "\"") {
            bytes = Array(bytes[1..<(bytes.count - 1)])
        }
        return bytes
    }
}
