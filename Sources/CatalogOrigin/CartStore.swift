import CatalogRedis
import Foundation

/// A cart as stored: a Redis hash `<prefix>cart:<id>` with `created_at`, `updated_at` (Unix
/// ms), optional `region_id`, and one `item:<variant ref>` field per line holding its quantity.
struct StoredCart: Sendable, Equatable {
    let id: String
    var regionID: String?
    var createdAt: Int64
    var updatedAt: Int64
    /// (variant reference, quantity), sorted by reference.
    var lines: [(ref: String, quantity: Int)]

    static func == (a: StoredCart, b: StoredCart) -> Bool {
        a.id == b.id && a.regionID == b.regionID && a.lines.map(\.ref) == b.lines.map(\.ref)
            && a.lines.map(\.quantity) == b.lines.map(\.quantity)
    }
}

/// Cart persistence in Redis.
///
/// Invariants: quantities change only by `HINCRBY` or by setting an absolute value (never read,
/// modify, write); every change refreshes the TTL and appends its event (`cart.updated`,
/// `cart.cleared`) to the stream in the same `MULTI`/`EXEC`; prices are never stored.
/// Changes check the cart exists first, so they never create one; a cart that expires between
/// that check and the change is recreated with just that line and the full TTL.
struct CartStore: Sendable {
    let redis: RedisClient
    let configuration: StorefrontConfiguration

    static let itemPrefix = "item:"
    static let maxQuantity = 100_000
    static let maxLines = 100

    func key(_ id: String) -> String { configuration.keyPrefix + "cart:" + id }

    private var ttl: String { String(configuration.cartTTLSeconds) }

    private static func nowMilliseconds() -> String { String(Int64(Date().timeIntervalSince1970 * 1000)) }

    /// Cart ids are `cart_` + 26 Crockford base32 characters; anything else is no cart.
    static func isCartID(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        return bytes.count == 31 && id.hasPrefix("cart_")
            && bytes[5...].allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) }
    }

    func create(regionID: String?) async throws -> String {
        let id = MedusaID.make("cart")
        let now = Self.nowMilliseconds()
        var fields = ["HSET", key(id), "created_at", now, "updated_at", now]
        if let regionID { fields += ["region_id", regionID] }
        _ = try await exec([
            RedisCommand(arguments: fields),
            RedisCommand("EXPIRE", key(id), ttl),
            configuration.xadd("cart.updated", [("cart_id", id), ("payload", "{\"cart_id\":\(JSONText.string(id)),\"action\":\"created\"}")]),
        ])
        return id
    }

    /// The cart, or nil when it does not exist (never created, expired or completed).
    func load(_ id: String) async throws -> StoredCart? {
        guard Self.isCartID(id) else { return nil }
        let reply = try await redis.send(RedisCommand("HGETALL", key(id)))
        guard let flat = reply.array, !flat.isEmpty else { return nil }
        var cart = StoredCart(id: id, regionID: nil, createdAt: 0, updatedAt: 0, lines: [])
        var i = 0
        while i + 1 < flat.count {
            let name = flat[i].string ?? ""
            let value = flat[i + 1].string ?? ""
            switch name {
            case "created_at": cart.createdAt = Int64(value) ?? 0
            case "updated_at": cart.updatedAt = Int64(value) ?? 0
            case "region_id": cart.regionID = value
            default:
                if name.hasPrefix(Self.itemPrefix), let q = Int(value), q > 0 {
                    cart.lines.append((String(name.dropFirst(Self.itemPrefix.count)), q))
                }
            }
            i += 2
        }
        cart.lines.sort { $0.ref < $1.ref }
        return cart
    }

    /// Adds `quantity` of `ref` with `HINCRBY`; answers the line's new quantity. A result above
    /// `maxQuantity` is taken back (a second `HINCRBY`) and refused.
    func add(_ id: String, ref: String, quantity: Int) async throws -> Int {
        let replies = try await exec(changeCommands(id, [
            RedisCommand("HINCRBY", key(id), Self.itemPrefix + ref, String(quantity)),
        ], payload: "{\"cart_id\":\(JSONText.string(id)),\"variant_id\":\(JSONText.string(ref)),\"quantity_added\":\(quantity)}"))
        let total = Int(replies[0].integer ?? 0)
        if total > Self.maxQuantity {
            _ = try await redis.send(RedisCommand("HINCRBY", key(id), Self.itemPrefix + ref, String(-quantity)))
            throw APIError.invalid("field 'quantity': a line may hold at most \(Self.maxQuantity)")
        }
        return total
    }

    /// Sets a line's quantity (0 removes it).
    func set(_ id: String, ref: String, quantity: Int) async throws {
        let change = quantity == 0
            ? RedisCommand("HDEL", key(id), Self.itemPrefix + ref)
            : RedisCommand("HSET", key(id), Self.itemPrefix + ref, String(quantity))
        _ = try await exec(changeCommands(id, [change],
            payload: "{\"cart_id\":\(JSONText.string(id)),\"variant_id\":\(JSONText.string(ref)),\"quantity\":\(quantity)}"))
    }

    func hasLine(_ id: String, ref: String) async throws -> Bool {
        try await redis.send(RedisCommand("HEXISTS", key(id), Self.itemPrefix + ref)).integer == 1
    }

    /// Deletes the cart after checkout, with `cart.cleared` naming the order.
    func clear(_ id: String, orderID: String) async throws {
        _ = try await exec([
            RedisCommand("DEL", key(id)),
            configuration.xadd("cart.cleared", [("cart_id", id), ("payload",
                "{\"cart_id\":\(JSONText.string(id)),\"order_id\":\(JSONText.string(orderID))}")]),
        ])
    }

    private func changeCommands(_ id: String, _ change: [RedisCommand], payload: String) -> [RedisCommand] {
        change + [
            RedisCommand("HSET", key(id), "updated_at", Self.nowMilliseconds()),
            RedisCommand("EXPIRE", key(id), ttl),
            configuration.xadd("cart.updated", [("cart_id", id), ("payload", payload)]),
        ]
    }

    private func exec(_ commands: [RedisCommand]) async throws -> [RESPValue] {
        let replies = try await redis.transaction(commands)
        for case .error(let message) in replies { throw RedisError.server(message) }
        return replies
    }
}
