/// Decides whether an upstream response may be stored for a route.
public enum ResponseStorability {
    /// True when all hold:
    /// - `status` is in `rule.cacheableStatuses`;
    /// - there is no `Set-Cookie` header (a per-user response must never be shared);
    /// - `Cache-Control` has no `private` or `no-store` directive (directive names compared
    ///   case-insensitively as whole tokens, so `private="set-cookie"` counts and
    ///   `x-private` does not);
    /// - `Vary` does not contain `*`.
    ///
    /// `headerValue` returns the value for a lowercased header name, with repeated fields
    /// joined by commas, or nil when absent.
    public static func isStorable(status: Int, headerValue: (String) -> String?, rule: RouteRule) -> Bool {
        guard rule.cacheableStatuses.contains(status) else { return false }
        if headerValue("set-cookie") != nil { return false }
        if let cacheControl = headerValue("cache-control") {
            for member in HTTPToken.listMembers(cacheControl) {
                let directive = HTTPToken.leadingToken(member)
                if HTTPToken.equalsIgnoringCase(directive, "private".utf8)
                    || HTTPToken.equalsIgnoringCase(directive, "no-store".utf8) {
                    return false
                }
            }
        }
        if let vary = headerValue("vary"), HTTPToken.listMembers(vary).contains(where: { $0.elementsEqual("*".utf8) }) {
            return false
        }
        return true
    }
}
