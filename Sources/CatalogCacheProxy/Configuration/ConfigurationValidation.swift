import CatalogHTTP
import CatalogRedis

/// Checks shared by the file loader and the flag/environment overrides, so that a bad
/// value is rejected with the same words wherever it came from.
public enum ConfigurationValidation {
    /// `nil` when `url` is a usable upstream, else what is wrong with it.
    public static func upstreamURLProblem(_ url: String) -> String? {
        do {
            _ = try UpstreamEndpoint.parse(url)
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// `nil` when `url` is one of the Redis URL forms ``RedisConfiguration/parse(url:)`` takes.
    public static func redisURLProblem(_ url: String) -> String? {
        do {
            _ = try RedisConfiguration.parse(url: url)
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// A TLS server name: a DNS name, never an address (an address is verified by connecting
    /// to it, against the certificate's IP entries, and cannot be sent as SNI).
    public static func serverNameProblem(_ name: String) -> String? {
        guard !name.isEmpty, !name.contains(where: { $0.isWhitespace || $0 == "/" }) else { return "must be a host name" }
        let isIPv4 = name.split(separator: ".", omittingEmptySubsequences: false).count == 4
            && name.allSatisfy { $0.isASCII && ($0.isNumber || $0 == ".") }
        if isIPv4 || name.contains(":") {
            return "must be a host name, not an address (\(name)): leave it unset to verify the address connected to against the certificate's IP entries"
        }
        return nil
    }

    public static func databaseURLProblem(_ url: String) -> String? {
        guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") else {
            return "must start with postgres:// or postgresql:// (got \"\(url)\")"
        }
        return nil
    }

    /// An unquoted SQL identifier: `[A-Za-z_][A-Za-z0-9_]*`, at most 63 bytes.
    public static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.utf8.first, text.utf8.count <= 63 else { return false }
        let isStart = { (c: UInt8) in (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c == 95 }
        return isStart(first) && text.utf8.allSatisfy { isStart($0) || ($0 >= 48 && $0 <= 57) }
    }

    /// An HTTP field name (RFC 9110 token).
    public static func isHeaderName(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { c in
            (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || "!#$%&'*+-.^_`|~".utf8.contains(c)
        }
    }
}
