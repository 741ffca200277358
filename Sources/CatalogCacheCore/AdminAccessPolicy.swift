/// Who may use the admin port: a `Host` allow-list (so a DNS-rebinding page in an operator's
/// browser, whose requests carry the attacker's host name, is refused) and an optional bearer
/// token.
///
/// Invariants: `allowedHosts` are lowercased host names without a port (IPv6 literals in
/// brackets); a request is allowed only when it has exactly one `Host` whose name (port
/// removed, case ignored) is listed, and, when `token` is set, exactly one
/// `Authorization: Bearer <token>` (compared in constant time for equal lengths).
public struct AdminAccessPolicy: Sendable, Equatable {
    /// The names a loopback admin port answers to by default.
    public static let loopbackHosts = ["localhost", "127.0.0.1", "[::1]"]

    public var allowedHosts: [String]
    public var token: String?

    public init(allowedHosts: [String] = AdminAccessPolicy.loopbackHosts, token: String? = nil) {
        self.allowedHosts = allowedHosts.map { Self.hostName(HTTPToken.lowercased($0)) }
        self.token = token
    }

    public enum Decision: Equatable, Sendable {
        case allow
        /// 403: no `Host`, several, or one not on the list.
        case hostNotAllowed
        /// 401: the token is required and missing or wrong.
        case unauthorized
    }

    public func decide(hostValues: [String], authorizationValues: [String]) -> Decision {
        guard hostValues.count == 1, allowedHosts.contains(Self.hostName(HTTPToken.lowercased(hostValues[0]))) else { return .hostNotAllowed }
        guard let token else { return .allow }
        guard authorizationValues.count == 1 else { return .unauthorized }
        let value = authorizationValues[0]
        let prefix = "bearer "
        guard value.utf8.count > prefix.utf8.count,
              HTTPToken.equalsIgnoringCase(value.utf8.prefix(prefix.utf8.count), prefix.utf8) else { return .unauthorized }
        return Self.constantTimeEquals(Array(value.utf8.dropFirst(prefix.utf8.count)), Array(token.utf8)) ? .allow : .unauthorized
    }

    /// Whether `host` (a listen address's host) is a loopback address or `localhost`.
    public static func isLoopback(_ host: String) -> Bool {
        let lowered = HTTPToken.lowercased(host)
        return lowered == "localhost" || lowered == "::1" || lowered == "[::1]" || lowered.hasPrefix("127.")
    }

    /// `host[:port]` without the port; `[v6]:port` keeps its brackets.
    static func hostName(_ value: String) -> String {
        let trimmed = String(decoding: HTTPToken.trimmed(Substring(value).utf8), as: UTF8.self)
        if trimmed.hasPrefix("[") {
            guard let close = trimmed.firstIndex(of: "]") else { return trimmed }
            return String(trimmed[...close])
        }
        if let colon = trimmed.firstIndex(of: ":"), trimmed[trimmed.index(after: colon)...].allSatisfy(\.isNumber) {
            return String(trimmed[..<colon])
        }
        return trimmed
    }

    private static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}
