/// A client's conditional GET/HEAD evaluated against a stored response (RFC 9110 §13.2.2).
///
/// Invariants: `If-None-Match` takes precedence and `If-Modified-Since` is then ignored; a
/// weak comparison is used (as §13.1.2 requires for If-None-Match); `If-Modified-Since` is
/// compared with `Last-Modified`, or without one with the stored `Date` (RFC 9111 §4.3.2);
/// an unparseable date or a response with neither never yields 304.
public enum ConditionalRequest {
    /// Whether the client's request is a conditional this cache evaluates itself.
    public static func isConditional(ifNoneMatch: String?, ifModifiedSince: String?) -> Bool {
        ifNoneMatch != nil || ifModifiedSince != nil
    }

    /// True when the answer is 304 Not Modified.
    public static func notModified(ifNoneMatch: String?, ifModifiedSince: String?, etag: String?, lastModified: String?, date: String? = nil) -> Bool {
        if let ifNoneMatch {
            if ifNoneMatch.trimmingCharacters() == "*" { return true }
            guard let etag else { return false }
            return EntityTagMatcher.ifNoneMatch(ifNoneMatch, matches: etag)
        }
        if let ifModifiedSince, let since = HTTPDate.parse(ifModifiedSince), let reference = lastModified ?? date, let modified = HTTPDate.parse(reference) {
            return modified <= since
        }
        return false
    }
}

extension String {
    func trimmingCharacters() -> Substring { Substring(self).trimmingWhitespace() }
}
