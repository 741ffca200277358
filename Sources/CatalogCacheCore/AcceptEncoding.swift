/// Content negotiation for the one coding the proxy stores besides identity
/// (RFC 9110 §12.5.3).
public enum AcceptEncoding {
    /// Whether a response to a request with this `Accept-Encoding` should be gzip-encoded.
    ///
    /// Rules:
    /// - the gzip weight is the highest q of the `gzip` / `x-gzip` members; without either,
    ///   the q of `*`; without that too, gzip is not acceptable;
    /// - gzip is chosen when its weight is above 0 and not below the identity weight, where
    ///   identity's weight is the q of an `identity` member, else of `*`, else unspecified (no
    ///   objection). So `gzip;q=0.5, identity` stays identity, `identity;q=0` alone does not
    ///   force gzip, and `*` alone chooses gzip;
    /// - codings and the `q` parameter name are case-insensitive; whitespace around members,
    ///   `;` and `=` is tolerated; other parameters are ignored;
    /// - a member whose q-value is malformed (not `0`, `0.ddd`, `1` or `1.000` with up to three
    ///   decimals) is ignored entirely, rather than read as q=1: identity is always a safe
    ///   answer, gzip to a client that may have said no is not;
    /// - an absent or empty header means identity (RFC 9110 allows any coding when the header is
    ///   absent, but clients that can decode gzip say so).
    public static func prefersGzip(_ header: String?) -> Bool {
        guard let header else { return false }
        var gzipWeight: Int?
        var identityWeight: Int?
        var wildcardWeight: Int?
        for member in HTTPToken.listMembers(header) {
            guard let (coding, weight) = parseMember(member) else { continue }
            if HTTPToken.equalsIgnoringCase(coding, "gzip".utf8) || HTTPToken.equalsIgnoringCase(coding, "x-gzip".utf8) {
                gzipWeight = max(gzipWeight ?? 0, weight)
            } else if HTTPToken.equalsIgnoringCase(coding, "identity".utf8) {
                identityWeight = max(identityWeight ?? 0, weight)
            } else if coding.elementsEqual("*".utf8) {
                wildcardWeight = max(wildcardWeight ?? 0, weight)
            }
        }
        guard let gzip = gzipWeight ?? wildcardWeight, gzip > 0 else { return false }
        guard let identity = identityWeight ?? wildcardWeight else { return true }
        return gzip >= identity
    }

    /// The coding and its weight in thousandths (0...1000), or nil when the member is malformed.
    private static func parseMember(_ member: Substring.UTF8View) -> (Substring.UTF8View, Int)? {
        var parts = member.split(separator: UInt8(ascii: ";"), omittingEmptySubsequences: false).makeIterator()
        guard let first = parts.next() else { return nil }
        let coding = HTTPToken.trimmed(first)
        guard !coding.isEmpty, coding.allSatisfy(HTTPToken.isTokenCharacter) else { return nil }
        var weight = 1000
        while let parameter = parts.next() {
            let trimmed = HTTPToken.trimmed(parameter)
            guard let equals = trimmed.firstIndex(of: UInt8(ascii: "=")) else {
                if trimmed.isEmpty { continue }
                return nil
            }
            let name = HTTPToken.trimmed(trimmed[trimmed.startIndex..<equals])
            let value = HTTPToken.trimmed(trimmed[trimmed.index(after: equals)...])
            if HTTPToken.equalsIgnoringCase(name, "q".utf8) {
                guard let parsed = qValue(value) else { return nil }
                weight = parsed
            }
        }
        return (coding, weight)
    }

    /// RFC 9110 §12.4.2 `qvalue` in thousandths: `0[.ddd]` or `1[.000]`.
    static func qValue<C: Collection>(_ text: C) -> Int? where C.Element == UInt8 {
        let bytes = Array(text)
        guard let first = bytes.first, first == UInt8(ascii: "0") || first == UInt8(ascii: "1") else { return nil }
        let whole = Int(first - UInt8(ascii: "0"))
        if bytes.count == 1 { return whole * 1000 }
        guard bytes[1] == UInt8(ascii: "."), bytes.count <= 5 else { return nil }
        var fraction = 0
        var scale = 100
        for digit in bytes[2...] {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) else { return nil }
            fraction += Int(digit - UInt8(ascii: "0")) * scale
            scale /= 10
        }
        if whole == 1 && fraction != 0 { return nil }
        return whole * 1000 + fraction
    }
}
