import CatalogHTTP
import CatalogRedis

/// What the cart, checkout and event parts of the origin run on besides PostgreSQL.
///
/// Invariant: without `redis` the catalog and admin API work, and every cart route answers 503
/// `service_unavailable` (carts live only in Redis); orders already placed stay readable.
public struct StorefrontConfiguration: Sendable {
    public var redis: RedisClient?
    /// Prefix of every Redis key the origin writes (`<prefix>cart:<id>`, `<prefix>events`).
    public var keyPrefix: String
    /// A cart expires this long after its last change.
    public var cartTTLSeconds: Int
    /// The event stream is trimmed to about this many entries (`XADD MAXLEN ~`).
    public var eventStreamMaxLength: Int

    public static let defaultCartTTLSeconds = 7 * 86_400

    public init(redis: RedisClient? = nil, keyPrefix: String = "catalog-origin:",
                cartTTLSeconds: Int = defaultCartTTLSeconds, eventStreamMaxLength: Int = 100_000) {
        self.redis = redis
        self.keyPrefix = keyPrefix
        self.cartTTLSeconds = cartTTLSeconds
        self.eventStreamMaxLength = eventStreamMaxLength
    }

    public var eventStreamKey: String { keyPrefix + "events" }

    /// `XADD <events> MAXLEN ~ N * type <event> field value ...`.
    func xadd(_ event: String, _ fields: [(String, String)]) -> RedisCommand {
        var args = ["XADD", eventStreamKey, "MAXLEN", "~", String(eventStreamMaxLength), "*", "type", event]
        for (name, value) in fields { args += [name, value] }
        return RedisCommand(arguments: args)
    }
}

/// JSON text helpers for the few objects built in Swift rather than in PostgreSQL.
enum JSONText {
    /// `s` as a JSON string literal, quotes included (`HTTPServerJSON.quote`).
    static func string(_ s: String) -> String { HTTPServerJSON.quote(s) }
}
