import CatalogHTTP
import CatalogTestSupport
import CatalogOrigin
import CatalogPostgres
import CatalogRedis
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

/// The origin's schema and seed in a `ThrowawayDatabase` per test (disabled or failing, like
/// it, without `CATALOG_TEST_DATABASE_URL`).
enum TestDatabase {
    static let redisURL = ProcessInfo.processInfo.environment["CATALOG_TEST_REDIS_URL"]
    /// The seeded admin's password hash uses few PBKDF2 rounds here: debug builds hash slowly.
    static let admin = AdminAccount(iterations: 1_000)
    /// Trait condition: run when a database is configured or services are required.
    static let enabled = ThrowawayDatabase.enabled

    /// Creates `origin_test_<random>`, optionally seeds `products` products (and always the
    /// admin), logs in, runs `body`, drops it. With `redis` the environment serves carts under a
    /// key prefix of its own.
    static func with<T>(
        seed products: Int? = 300, redis: Bool = false, cartTTLSeconds: Int = StorefrontConfiguration.defaultCartTTLSeconds,
        _ body: (OriginTestEnvironment) async throws -> T
    ) async throws -> T {
        if redis && redisURL == nil { throw ThrowawayDatabase.Missing() }
        return try await ThrowawayDatabase.with(prefix: "origin_test_", prepare: { setup in
            if let products {
                try CatalogSeeder(products: products, admin: TestDatabase.admin).run(setup)
            } else {
                try Migrator.migrate(setup)
                try TestDatabase.admin.upsert(setup)
            }
        }) { database in
            var storefront = StorefrontConfiguration(keyPrefix: "origin-test:\(database.url.split(separator: "/").last ?? ""):", cartTTLSeconds: cartTTLSeconds)
            if redis, let redisURL {
                storefront.redis = RedisClient(configuration: try RedisConfiguration.parse(url: redisURL), group: MultiThreadedEventLoopGroup.singleton)
            }
            // The pool the origin runs on (its statement cache), not the test's plain one.
            let pool = PostgresPool(configuration: OriginService.poolConfiguration(url: database.url, size: 8))
            var env = OriginTestEnvironment(url: database.url, pool: pool, storefront: storefront, token: "")
            let login = await env.send(.POST, "/auth/user/emailpass",
                                       body: #"{"email":"\#(admin.email)","password":"\#(admin.password)"}"#)
            env.token = login.json["token"] as? String ?? ""
            do {
                let value = try await body(env)
                await storefront.redis?.shutdown()
                await pool.shutdown()
                return value
            } catch {
                await storefront.redis?.shutdown()
                await pool.shutdown()
                throw error
            }
        }
    }
}

/// What a test gets: the database URL, a pool on it, an origin responder using that pool (and
/// Redis, when asked for) and the seeded admin's bearer token.
struct OriginTestEnvironment: Sendable {
    let url: String
    let pool: PostgresPool
    let storefront: StorefrontConfiguration
    var token: String
    var responder: OriginResponder { OriginResponder(pool: pool, storefront: storefront) }

    /// Sends one request straight to the responder (no socket); `/admin` requests carry the
    /// admin's token unless `authenticated` is false.
    func send(_ method: HTTPMethod, _ uri: String, body: String? = nil, headers: [(String, String)] = [],
              authenticated: Bool = true) async -> TestResponse {
        var fields = HTTPHeaders(headers)
        if authenticated && uri.hasPrefix("/admin") { fields.add(name: "Authorization", value: "Bearer \(token)") }
        let request = HTTPServerRequest(method: method, uri: uri, headers: fields, body: body.map { ByteBuffer(string: $0) })
        return TestResponse(await responder.respond(to: request))
    }

    /// One scalar from SQL, as text.
    func scalar(_ sql: String, _ params: [String?] = []) async throws -> String? {
        try await pool.query(sql, params).scalar
    }

    /// Integer scalar from SQL (0 when NULL).
    func count(_ sql: String, _ params: [String?] = []) async throws -> Int {
        Int(try await scalar(sql, params) ?? "0") ?? 0
    }

    /// Row counts of every table a write could touch, for "nothing was written" checks.
    func footprint() async throws -> [String] {
        var out: [String] = []
        for table in ["product", "product_variant", "hero_banner", "inventory_movement"] {
            out.append(try await scalar("SELECT count(*)::text || ':' || md5(coalesce(string_agg(t::text, '|' ORDER BY id), '')) FROM \(table) t") ?? "")
        }
        return out
    }
}

/// A response with its body decoded as JSON (when it is JSON).
struct TestResponse: Sendable {
    let status: HTTPResponseStatus
    let headers: HTTPHeaders
    let text: String

    init(_ response: HTTPServerResponse) {
        status = response.status
        headers = response.headers
        text = response.body.map { String(buffer: $0) } ?? ""
    }

    /// The body as a JSON object (empty when not an object).
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    /// The `error` code of an error body.
    var errorCode: String? { json["error"] as? String }
    var message: String { json["message"] as? String ?? "" }

    /// `products` (or another list key) as an array of objects.
    func list(_ key: String) -> [[String: Any]] { json[key] as? [[String: Any]] ?? [] }

    /// A nested object, e.g. `object("product")`.
    func object(_ key: String) -> [String: Any] { json[key] as? [String: Any] ?? [:] }
}

extension OriginTestEnvironment {
    /// One Redis command on the environment's client.
    @discardableResult
    func redis(_ arguments: String...) async throws -> RESPValue {
        try await storefront.redis!.send(RedisCommand(arguments: arguments))
    }

    /// Entries of the origin's event stream as (type, fields) pairs, oldest first.
    func events() async throws -> [(type: String, fields: [String: String])] {
        let reply = try await redis("XRANGE", storefront.eventStreamKey, "-", "+")
        return (reply.array ?? []).compactMap { entry in
            guard let parts = entry.array, parts.count == 2, let flat = parts[1].array else { return nil }
            var fields: [String: String] = [:]
            var i = 0
            while i + 1 < flat.count {
                fields[flat[i].string ?? ""] = flat[i + 1].string ?? ""
                i += 2
            }
            return (fields["type"] ?? "", fields)
        }
    }

    /// A new cart's id.
    func newCart() async throws -> String {
        let r = await send(.POST, "/store/carts")
        guard let id = r.object("cart")["id"] as? String else { throw CartFailed(text: r.text) }
        return id
    }

    /// A published product without variant rows (bought by its own id), its stock set to `stock`.
    func variantlessProduct(stock: Int, price: Int = 1000) async throws -> String {
        let id = try await scalar("""
            SELECT id FROM product p WHERE status = 'published'
              AND NOT EXISTS (SELECT 1 FROM product_variant v WHERE v.product_id = p.id) ORDER BY id LIMIT 1
            """)!
        try await pool.query("UPDATE product SET stock = $1, price = $2 WHERE id = $3", [String(stock), String(price), id])
        return id
    }
}

struct CartFailed: Error { let text: String }
