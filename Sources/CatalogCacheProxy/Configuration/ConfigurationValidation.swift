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
