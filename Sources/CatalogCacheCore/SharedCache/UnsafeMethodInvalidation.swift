/// Invalidation after an unsafe request (RFC 9111 §4.4).
///
/// Invariants: only a non-error answer (2xx or 3xx) to a method that is not known safe
/// (anything but GET, HEAD, OPTIONS, TRACE; unknown methods included) invalidates; the
/// targets are the request's own path and query, plus `Location` and `Content-Location` only
/// when they are relative references or absolute `http(s)` URIs on the request's host
/// (same origin: a response must not be able to purge another origin's entries).
public enum UnsafeMethodInvalidation {
    public static let safeMethods: Set<String> = ["GET", "HEAD", "OPTIONS", "TRACE"]

    public static func invalidates(method: String, status: Int) -> Bool {
        !safeMethods.contains(method) && (200...399).contains(status)
    }

    /// Paths (with query) to invalidate: `requestTarget` first, then the same-origin
    /// `Location` / `Content-Location`, resolved against it, without duplicates.
    public static func targets(requestTarget: String, host: String?, location: String?, contentLocation: String?) -> [String] {
        var out = [requestTarget]
        for reference in [location, contentLocation].compactMap({ $0 }) {
            if let target = sameOriginTarget(reference, base: requestTarget, host: host), !out.contains(target) {
                out.append(target)
            }
        }
        return out
    }

    /// The path-and-query of `reference` if it is on the same origin, else nil.
    public static func sameOriginTarget(_ reference: String, base: String, host: String?) -> String? {
        let ref = String(Substring(reference).trimmingWhitespace())
        guard !ref.isEmpty, !ref.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7f }) else { return nil }
        let lower = HTTPToken.lowercased(ref)
        for scheme in ["http://", "https://"] where lower.hasPrefix(scheme) {
            let rest = ref.dropFirst(scheme.count)
            let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
            let authority = HTTPToken.lowercased(String(rest[..<authorityEnd]))
            guard let host, authority == HTTPToken.lowercased(host) else { return nil }
            let path = rest[authorityEnd...]
            return strippingFragment(path.isEmpty ? "/" : (path.first == "?" ? "/" + path : String(path)))
        }
        if ref.hasPrefix("//") || ref.contains(":") && !ref.hasPrefix("/") && ref.firstIndex(of: ":")! < (ref.firstIndex(of: "/") ?? ref.endIndex) {
            return nil  // another authority, or another scheme
        }
        if ref.hasPrefix("/") { return strippingFragment(ref) }
        // A relative path: resolved against the base's directory.
        let basePath = base.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? "/"
        let directory = basePath.lastIndex(of: "/").map { String(basePath[...$0]) } ?? "/"
        if ref.hasPrefix("?") { return strippingFragment(basePath + ref) }
        return strippingFragment(directory + ref)
    }

    private static func strippingFragment(_ s: String) -> String {
        s.firstIndex(of: "#").map { String(s[..<$0]) } ?? s
    }
}
