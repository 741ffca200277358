import CatalogCacheCore
import NIOHTTP1

/// Header rules for messages crossing the proxy (RFC 9110 §7.6.1).
public enum ForwardingHeaders {
    /// Hop-by-hop fields: meaningful for one connection only, never forwarded or stored.
    public static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
        "proxy-authenticate", "proxy-authorization",
    ]

    /// Request headers that can change what the upstream answers without being part of the
    /// cache key; they are removed from every request the proxy forwards for a cacheable
    /// route, so one client cannot poison the entry other clients get.
    public static let unkeyedOverrides: Set<String> = [
        "x-forwarded-host", "x-forwarded-server", "x-original-url", "x-rewrite-url", "x-http-method-override",
        "x-http-method", "x-method-override", "x-forwarded-scheme", "x-host", "forwarded",
    ]

    /// Whether a request header (lowercased name) can change what an origin answers without
    /// being keyed, in any spelling: `unkeyedOverrides`, every `x-forwarded-*` but
    /// `x-forwarded-for` and `x-forwarded-proto` (which the proxy sets itself), every
    /// `x-original-*`, and any name with an underscore (CGI-style origins read
    /// `X_Forwarded_Host` as `X-Forwarded-Host`; nginx drops such names by default).
    public static func isUnkeyedOverride(_ name: String) -> Bool {
        if name.utf8.contains(UInt8(ascii: "_")) { return true }
        if unkeyedOverrides.contains(name) || name.hasPrefix("x-original-") { return true }
        return name.hasPrefix("x-forwarded-") && name != "x-forwarded-for" && name != "x-forwarded-proto"
    }

    /// Removes hop-by-hop fields and those named by `Connection`.
    public static func removeHopByHop(_ headers: inout HTTPHeaders) {
        var named: [String] = []
        for value in headers[canonicalForm: "connection"] { named.append(value.lowercased()) }
        for name in hopByHop { headers.remove(name: name) }
        for name in named where !name.isEmpty { headers.remove(name: String(name)) }
    }

    /// The headers of a request forwarded upstream: hop-by-hop removed, the client address
    /// appended to `X-Forwarded-For`, `X-Forwarded-Proto` set, and an `X-Request-Id` (the
    /// client's when sane, else a new one; see `RequestIDs`).
    public static func forwardedRequestHeaders(_ original: HTTPHeaders, clientAddress: String?) -> HTTPHeaders {
        var headers = original
        removeHopByHop(&headers)
        setRequestID(&headers)
        if let clientAddress {
            let previous = headers["x-forwarded-for"].joined(separator: ", ")
            headers.replaceOrAdd(name: "X-Forwarded-For", value: previous.isEmpty ? clientAddress : "\(previous), \(clientAddress)")
        }
        headers.replaceOrAdd(name: "X-Forwarded-Proto", value: "http")
        return headers
    }

    /// The headers of a fill request for a cacheable route: only what the entry may depend
    /// on. Credentials, cookies, the client's `Host` (the upstream's goes instead) and unkeyed
    /// overrides in every spelling (`isUnkeyedOverride`) are dropped, except the `keyed`
    /// names (the route's vary headers, lowercased); the body is asked for in identity
    /// encoding (the proxy compresses it itself).
    public static func fillRequestHeaders(_ original: HTTPHeaders, clientAddress: String?, keyed: [String] = []) -> HTTPHeaders {
        var headers = forwardedRequestHeaders(original, clientAddress: clientAddress)
        removeUnkeyedOverrides(&headers, keeping: keyed)
        for name in ["host", "authorization", "cookie", "accept-encoding", "if-none-match", "if-modified-since", "range", "if-range", "content-length", "expect"] {
            headers.remove(name: name)
        }
        return headers
    }

    /// Removes every field `isUnkeyedOverride` names, except the `keeping` names (lowercased).
    public static func removeUnkeyedOverrides(_ headers: inout HTTPHeaders, keeping: [String]) {
        var doomed: [String] = []
        for field in headers {
            let name = field.name.lowercased()
            if isUnkeyedOverride(name), !keeping.contains(name), !doomed.contains(name) { doomed.append(name) }
        }
        for name in doomed { headers.remove(name: name) }
    }

    /// Keeps one acceptable `X-Request-Id`, or replaces what was there with a new id.
    static func setRequestID(_ headers: inout HTTPHeaders) {
        let given = headers[canonicalForm: "x-request-id"]
        if given.count == 1, RequestID.isAcceptable(given[0]) { return }
        headers.replaceOrAdd(name: RequestID.headerName, value: RequestIDs.next())
    }

    /// Response headers passed back to a client from the upstream.
    public static func forwardedResponseHeaders(_ original: HTTPHeaders) -> HTTPHeaders {
        var headers = original
        removeHopByHop(&headers)
        return headers
    }
}
