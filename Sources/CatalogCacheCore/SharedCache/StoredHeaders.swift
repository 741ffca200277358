/// Which response header fields a shared cache stores, replays and updates
/// (RFC 9111 §3.1, §3.2; RFC 9110 §7.6.1).
///
/// Invariants: hop-by-hop fields and every field named in `Connection` are never stored;
/// neither are the fields of a qualified `private="..."`, nor framing (`Content-Length`,
/// `Transfer-Encoding`) and `Age`, which the cache recomputes when it serves.
public enum StoredHeaders {
    public static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
        "proxy-authenticate", "proxy-authorization", "proxy-authentication-info",
    ]

    /// Fields the cache regenerates per response.
    public static let regenerated: Set<String> = ["content-length", "age"]

    /// Names removed from `headers` before storing: hop-by-hop, those `Connection` names.
    public static func connectionNamed(_ headers: [HeaderField]) -> Set<String> {
        var names = hopByHop
        for value in headers.values("connection") {
            for member in value.split(separator: ",") {
                let name = HTTPToken.lowercased(String(member.trimmingWhitespace()))
                if !name.isEmpty { names.insert(name) }
            }
        }
        return names
    }

    /// The fields of a response as stored.
    public static func forStorage(_ headers: [HeaderField], privateFields: [String]) -> [HeaderField] {
        headers.removing(connectionNamed(headers).union(regenerated).union(privateFields))
    }

    /// The stored fields updated from a 304 or a HEAD answer (§3.2, §4.3.4, §4.3.5): every
    /// field the update carries replaces all stored lines of that name, except hop-by-hop
    /// and `Connection`-named fields, framing, `Content-Encoding` (the stored body depends on
    /// it) and the fields the update's own `private="..."` names.
    public static func merge(stored: [HeaderField], update: [HeaderField], privateFields: [String] = []) -> [HeaderField] {
        let excluded = connectionNamed(update).union(regenerated).union(privateFields).union(["content-encoding"])
        let incoming = update.removing(excluded)
        let replaced = Set(incoming.map { HTTPToken.lowercased($0.name) })
        return stored.removing(replaced) + incoming
    }

    /// Whether a 304 (or HEAD answer) with validators `etag` / `lastModified` selects the
    /// stored response (§4.3.4): a strong ETag must match the stored one; without an ETag a
    /// Last-Modified must match the stored one; with neither, the stored response is selected.
    public static func selects(storedETag: String?, storedLastModified: String?, etag: String?, lastModified: String?) -> Bool {
        if let etag {
            guard let storedETag else { return false }
            return strip(etag) == strip(storedETag)
        }
        if let lastModified, let storedLastModified {
            return lastModified == storedLastModified
        }
        return true
    }

    private static func strip(_ tag: String) -> Substring {
        var t = Substring(tag).trimmingWhitespace()
        if t.hasPrefix("W/") { t = t.dropFirst(2) }
        return t
    }
}
