/// Limits on a request head, as Varnish and nginx enforce them by default.
///
/// Invariant: `1024 <= maxFieldLineBytes <= maxHeadBytes` (the loader checks).
public struct RequestHeadLimits: Sendable, Equatable {
    /// The whole head: request line and every field line (`limits.max_request_head_bytes`).
    public var maxHeadBytes: Int
    /// One field line, `name: value` (`limits.max_header_field_bytes`).
    public var maxFieldLineBytes: Int

    public static let standard = RequestHeadLimits(maxHeadBytes: 32 * 1024, maxFieldLineBytes: 8 * 1024)

    public init(maxHeadBytes: Int, maxFieldLineBytes: Int) {
        self.maxHeadBytes = maxHeadBytes
        self.maxFieldLineBytes = maxFieldLineBytes
    }
}

/// Why a request head is refused before anything looks at its route or key.
public enum RequestHeadRefusal: Equatable, Sendable {
    /// An HTTP/1.1 request without `Host` (RFC 9112 §3.2).
    case missingHost
    /// More than one `Host` field (RFC 9112 §3.2).
    case repeatedHost
    /// A header some route keys on, sent more than once: the key would take one value while
    /// the upstream sees both.
    case repeatedVaryHeader(String)
    /// `Connection` names a header some route keys on: the fill would drop it as hop-by-hop
    /// while the key still uses its value.
    case connectionNamesVaryHeader(String)
    /// `Upgrade` or `CONNECT`: the proxy port speaks HTTP/1.1 requests only.
    case upgrade
    case connect
    case headTooLarge
    case fieldTooLarge

    /// 431 for the size limits, else 400.
    public var status: Int {
        switch self {
        case .headTooLarge, .fieldTooLarge: return 431
        default: return 400
        }
    }

    /// The `error` code of the JSON answer (and the client-error counter's label).
    public var code: String {
        switch self {
        case .missingHost: return "missing_host"
        case .repeatedHost: return "repeated_host"
        case .repeatedVaryHeader: return "repeated_vary_header"
        case .connectionNamesVaryHeader: return "connection_names_vary_header"
        case .upgrade: return "upgrade_refused"
        case .connect: return "connect_refused"
        case .headTooLarge, .fieldTooLarge: return "headers_too_large"
        }
    }

    public var message: String {
        switch self {
        case .missingHost: return "an HTTP/1.1 request needs a Host header"
        case .repeatedHost: return "the request has more than one Host header"
        case .repeatedVaryHeader(let name): return "the header \(name) is part of the cache key and may be sent once only"
        case .connectionNamesVaryHeader(let name): return "Connection may not name \(name), which is part of the cache key"
        case .upgrade: return "protocol upgrades are not served on this port"
        case .connect: return "CONNECT is not served on this port"
        case .headTooLarge: return "the request head is too large"
        case .fieldTooLarge: return "a request header line is too large"
        }
    }
}

/// The checks every request head passes on the proxy port, before routing: so the cache key
/// and the fill always see the same request, and peers' size limits hold.
///
/// Sizes are counted as sent without optional whitespace: the request line is
/// `method SP target SP HTTP/1.x CRLF` and each field line `name ": " value CRLF`.
public enum RequestHeadScreen {
    /// The first reason to refuse the head, or nil when it may be served.
    ///
    /// - Parameters:
    ///   - method: the request method as sent.
    ///   - target: the request target as sent.
    ///   - requiresHost: true for HTTP/1.1 (HTTP/1.0 may omit `Host`).
    ///   - fields: the header fields in order.
    ///   - varyNames: the lowercased header names any route keys on.
    public static func screen<Fields: Sequence>(
        method: String, target: String, requiresHost: Bool, fields: Fields, varyNames: [String], limits: RequestHeadLimits
    ) -> RequestHeadRefusal? where Fields.Element == (name: String, value: String) {
        var scan = Scan(method: method, target: target, varyNames: varyNames, limits: limits)
        for field in fields {
            if let refusal = scan.field(name: field.name, value: field.value) { return refusal }
        }
        return scan.finish(requiresHost: requiresHost)
    }

    /// The same checks, one field at a time, for a caller that walks its own header storage
    /// (no sequence of copies, no generic code across modules on the hit path).
    ///
    /// Invariant: `field` answers a refusal as soon as a size limit is passed (nothing more
    /// need be read); any other refusal is remembered and answered by `finish`, so the size
    /// limits are enforced over the whole head first, as `screen` does.
    public struct Scan {
        public let varyNames: [String]
        public let limits: RequestHeadLimits
        private let isConnect: Bool
        private var total: Int
        private var hosts = 0
        /// Bit i: `varyNames[i]` was seen (names past the 64th in `seenBeyond`).
        private var seen: UInt64 = 0
        private var seenBeyond: Set<Int> = []
        private var refusal: RequestHeadRefusal?

        public init(method: String, target: String, varyNames: [String], limits: RequestHeadLimits) {
            self.varyNames = varyNames
            self.limits = limits
            self.isConnect = method == "CONNECT"
            self.total = method.utf8.count + target.utf8.count + 12
        }

        /// One field line; a size refusal at once, else nil (see `finish`).
        public mutating func field(name: String, value: String) -> RequestHeadRefusal? {
            if isConnect { return .connect }
            let line = name.utf8.count + value.utf8.count + 4
            if line > limits.maxFieldLineBytes { return .fieldTooLarge }
            total += line
            if total > limits.maxHeadBytes { return .headTooLarge }
            guard refusal == nil else { return nil }
            let bytes = name.utf8
            if HTTPToken.equalsIgnoringCase(bytes, "host".utf8) {
                hosts += 1
                if hosts > 1 { refusal = .repeatedHost }
            } else if HTTPToken.equalsIgnoringCase(bytes, "upgrade".utf8) {
                refusal = .upgrade
            } else if HTTPToken.equalsIgnoringCase(bytes, "connection".utf8) {
                for member in HTTPToken.listMembers(value) {
                    if let vary = varyNames.first(where: { HTTPToken.equalsIgnoringCase(member, $0.utf8) }) {
                        refusal = .connectionNamesVaryHeader(vary)
                        break
                    }
                }
            } else {
                for (i, vary) in varyNames.enumerated() where HTTPToken.equalsIgnoringCase(bytes, vary.utf8) {
                    if markSeen(i) { refusal = .repeatedVaryHeader(vary) }
                }
            }
            return nil
        }

        /// After the last field: the first refusal found, or a missing `Host`, or nil.
        public func finish(requiresHost: Bool) -> RequestHeadRefusal? {
            if isConnect { return .connect }
            if let refusal { return refusal }
            if requiresHost && hosts == 0 { return .missingHost }
            return nil
        }

        /// Marks `varyNames[i]` seen; true when it was already.
        private mutating func markSeen(_ i: Int) -> Bool {
            guard i < 64 else { return !seenBeyond.insert(i).inserted }
            let bit: UInt64 = 1 << UInt64(i)
            defer { seen |= bit }
            return seen & bit != 0
        }
    }
}
