/// Why an upstream URL could not be used. Each case reads as one line in a start-up error.
public enum UpstreamURLError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The URL has a scheme other than `http` (`https` included: TLS is not supported upstream).
    case unsupportedScheme(String)
    /// The URL has no `scheme://` prefix.
    case missingScheme(String)
    /// The authority part is empty, e.g. `http://:8080` or `http:///path`.
    case missingHost(String)
    /// The port is not a number in 1...65535.
    case badPort(String)
    /// The URL carries something this client cannot honour (user info, query or fragment).
    case unsupportedComponent(String)

    public var description: String {
        switch self {
        case .unsupportedScheme(let url):
            return "upstream URL '\(url)': unsupported scheme, only http:// and https:// are supported"
        case .missingScheme(let url):
            return "upstream URL '\(url)': missing scheme, expected http(s)://host[:port][/base]"
        case .missingHost(let url):
            return "upstream URL '\(url)': missing host"
        case .badPort(let url):
            return "upstream URL '\(url)': bad port, expected a number in 1...65535"
        case .unsupportedComponent(let url):
            return "upstream URL '\(url)': user info, query and fragment are not supported"
        }
    }
}

/// Where the upstream lives, parsed from `http://host[:port][/base]`.
///
/// Invariants: `host` is non-empty and has no brackets (an IPv6 literal is stored bare);
/// `port` is in 1...65535 (80 when the URL has none); `hostHeader` is the value to send as
/// `Host` (the port is omitted when it is 80, IPv6 literals are bracketed); `basePath` is ""
/// or starts with "/" and has no trailing "/".
public struct UpstreamEndpoint: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var hostHeader: String
    /// The path prefix from the URL (e.g. "/api"), "" when there is none. The pool does not
    /// apply it: the proxy builds request URIs.
    public var basePath: String
    /// `https://`: connections speak TLS (set up by `UpstreamPoolConfiguration.channelSetup`).
    public var usesTLS: Bool

    public init(host: String, port: Int, hostHeader: String? = nil, basePath: String = "", usesTLS: Bool = false) {
        self.host = host
        self.port = port
        self.hostHeader = hostHeader ?? Self.defaultHostHeader(host: host, port: port, usesTLS: usesTLS)
        self.basePath = basePath
        self.usesTLS = usesTLS
    }

    /// Parses `http://host[:port][/base]`. Only `http` is accepted; the scheme is
    /// case-insensitive, the host is kept as written.
    public static func parse(_ url: String) throws(UpstreamURLError) -> UpstreamEndpoint {
        let trimmed = url.trimmingWhitespace()
        guard let schemeEnd = trimmed.indexAfterSchemeSeparator() else {
            throw .missingScheme(url)
        }
        let scheme = trimmed[..<trimmed.index(schemeEnd, offsetBy: -3)].lowercased()
        guard scheme == "http" || scheme == "https" else { throw .unsupportedScheme(url) }
        let usesTLS = scheme == "https"
        let rest = trimmed[schemeEnd...]
        if rest.contains(where: { $0 == "?" || $0 == "#" }) { throw .unsupportedComponent(url) }
        let authority: Substring
        let path: Substring
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            path = rest[slash...]
        } else {
            authority = rest
            path = ""
        }
        if authority.contains("@") { throw .unsupportedComponent(url) }

        let host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            // IPv6 literal: [::1]:8080
            guard let close = authority.firstIndex(of: "]") else { throw .missingHost(url) }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw .badPort(url) }
                portText = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty else { throw .missingHost(url) }

        var port = usesTLS ? 443 : 80
        if let portText {
            guard !portText.isEmpty, portText.count <= 5,
                portText.allSatisfy({ $0.isASCII && $0.isNumber }),
                let value = Int(portText), (1...65535).contains(value)
            else { throw .badPort(url) }
            port = value
        }

        var base = String(path)
        while base.hasSuffix("/") { base.removeLast() }
        return UpstreamEndpoint(host: String(host), port: port, basePath: base, usesTLS: usesTLS)
    }

    private static func defaultHostHeader(host: String, port: Int, usesTLS: Bool) -> String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == (usesTLS ? 443 : 80) ? name : "\(name):\(port)"
    }
}

extension StringProtocol {
    fileprivate func trimmingWhitespace() -> SubSequence {
        var view = self[...]
        while let first = view.first, first.isWhitespace { view.removeFirst() }
        while let last = view.last, last.isWhitespace { view.removeLast() }
        return view
    }

    /// The index just past the first "://", or nil when there is none.
    fileprivate func indexAfterSchemeSeparator() -> Index? {
        var index = startIndex
        while index < endIndex {
            if self[index...].hasPrefix("://") {
                return self.index(index, offsetBy: 3)
            }
            index = self.index(after: index)
        }
        return nil
    }
}
