/// The directives of one or more `Cache-Control` (or `CDN-Cache-Control`, `Pragma`) field
/// lines, as parsed from the wire (RFC 9111 §5.2, RFC 9110 §5.6).
///
/// Invariants: parsing never fails and never traps, whatever the input; names are lowercased;
/// a value given as a quoted string is unquoted (`\` escapes removed); elements that are not
/// `token [ "=" ( token / quoted-string ) ]` are skipped; empty list elements are ignored.
/// Directives keep their order, duplicates included (`first(_:)` answers the first, the
/// behaviour RFC 9111 §4.2.1 allows for conflicting duplicates).
public struct CacheControlDirectives: Sendable, Equatable {
    public struct Directive: Sendable, Equatable {
        public var name: String
        public var value: String?

        public init(name: String, value: String?) {
            self.name = name
            self.value = value
        }
    }

    public private(set) var directives: [Directive]

    /// Parses every field line given (several lines are one comma-separated list).
    public init(_ fieldValues: [String]) {
        directives = []
        for value in fieldValues { Self.parse(Array(value.utf8), into: &directives) }
    }

    public init(_ fieldValue: String?) {
        self.init(fieldValue.map { [$0] } ?? [])
    }

    /// Directives already parsed (from a Structured Field, `TargetedCacheControl`).
    public init(directives: [Directive]) {
        self.directives = directives
    }

    public var isEmpty: Bool { directives.isEmpty }

    public func first(_ name: String) -> Directive? {
        directives.first { $0.name == name }
    }

    public func contains(_ name: String) -> Bool {
        first(name) != nil
    }

    /// A delta-seconds argument (RFC 9111 §1.2.2): `.absent` when the directive is not there,
    /// `.invalid` when its argument is missing or not all digits, values beyond 2^31 become
    /// 2^31 as the RFC requires.
    public func seconds(_ name: String) -> DeltaSeconds {
        guard let directive = first(name) else { return .absent }
        guard let value = directive.value, let seconds = DeltaSeconds.parse(value) else { return .invalid }
        return .seconds(seconds)
    }

    /// The field names of a qualified form such as `no-cache="Set-Cookie, X-Foo"`, lowercased;
    /// nil when the directive is absent or unqualified (no argument, or an empty list).
    public func fieldNames(_ name: String) -> [String]? {
        guard let directive = first(name), let value = directive.value else { return nil }
        let names = value.split(separator: ",").map { HTTPToken.lowercased(String($0.trimmingWhitespace())) }.filter { !$0.isEmpty }
        return names.isEmpty ? nil : names
    }

    // MARK: Parsing

    private static func parse(_ bytes: [UInt8], into out: inout [Directive]) {
        var i = 0
        let n = bytes.count
        func skipSpace() { while i < n, HTTPToken.isWhitespace(bytes[i]) { i += 1 } }
        func skipToNextElement() {
            // Skip the rest of a malformed element, honouring quoted strings.
            var quoted = false
            while i < n {
                let b = bytes[i]
                if quoted {
                    if b == UInt8(ascii: "\\") { i += 1 } else if b == UInt8(ascii: "\"") { quoted = false }
                } else if b == UInt8(ascii: "\"") {
                    quoted = true
                } else if b == UInt8(ascii: ",") {
                    return
                }
                i += 1
            }
        }
        while i < n {
            skipSpace()
            if i < n, bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            guard i < n else { break }
            let nameStart = i
            while i < n, HTTPToken.isTokenCharacter(bytes[i]) { i += 1 }
            guard i > nameStart else { skipToNextElement(); continue }
            let name = HTTPToken.lowercased(String(decoding: bytes[nameStart..<i], as: UTF8.self))
            skipSpace()
            var value: String?
            if i < n, bytes[i] == UInt8(ascii: "=") {
                i += 1
                skipSpace()
                if i < n, bytes[i] == UInt8(ascii: "\"") {
                    i += 1
                    var unquoted: [UInt8] = []
                    var closed = false
                    while i < n {
                        let b = bytes[i]
                        if b == UInt8(ascii: "\\"), i + 1 < n { unquoted.append(bytes[i + 1]); i += 2; continue }
                        if b == UInt8(ascii: "\"") { closed = true; i += 1; break }
                        unquoted.append(b)
                        i += 1
                    }
                    guard closed else { break }
                    value = String(decoding: unquoted, as: UTF8.self)
                } else {
                    let valueStart = i
                    while i < n, HTTPToken.isTokenCharacter(bytes[i]) { i += 1 }
                    guard i > valueStart else { skipToNextElement(); continue }
                    value = String(decoding: bytes[valueStart..<i], as: UTF8.self)
                }
                skipSpace()
            }
            guard i >= n || bytes[i] == UInt8(ascii: ",") else { skipToNextElement(); continue }
            out.append(Directive(name: name, value: value))
        }
    }
}

/// A delta-seconds directive argument.
public enum DeltaSeconds: Sendable, Equatable {
    case absent
    case invalid
    case seconds(Int64)

    /// The RFC 9111 §1.2.2 cap for values a cache cannot represent.
    public static let cap: Int64 = 2_147_483_648

    /// `1*DIGIT`, capped at 2^31; nil for anything else (signs, fractions, spaces, empty).
    public static func parse<S: StringProtocol>(_ text: S) -> Int64? {
        var value: Int64 = 0
        var digits = 0
        for byte in text.utf8 {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            digits += 1
            if value < cap { value = value * 10 + Int64(byte - 0x30) }
        }
        return digits == 0 ? nil : min(value, cap)
    }

    /// The value, nil when absent; an invalid value counts as 0 (RFC 9111 §4.2.1 encourages
    /// treating invalid freshness information as stale).
    public var effective: Int64? {
        switch self {
        case .absent: nil
        case .invalid: 0
        case .seconds(let s): s
        }
    }

    public var isPresent: Bool { self != .absent }
}

extension Substring {
    func trimmingWhitespace() -> Substring {
        var s = self
        while let f = s.utf8.first, HTTPToken.isWhitespace(f) { s = s.dropFirst() }
        while let l = s.utf8.last, HTTPToken.isWhitespace(l) { s = s.dropLast() }
        return s
    }
}
