import CatalogCacheCore
import CatalogHTTP
import CatalogPostgres
import NIOCore
import NIOHTTP1
import NIOPosix

/// Medusa v2's admin authentication: `POST /auth/user/emailpass {"email","password"}` answers
/// `{"token"}`; every `/admin/*` request carries `Authorization: Bearer <token>`.
///
/// Invariants: tokens are 32 random bytes (hex), stored only as their SHA-256, and expire after
/// `sessionLifetimeSeconds`; a wrong email and a wrong password get the same 401 after the same
/// amount of hashing (a dummy hash is verified for unknown emails); password hashing runs on
/// NIO's blocking thread pool, never on an event loop or a database thread.
struct AdminAuth: Sendable {
    let pool: PostgresPool

    static let sessionLifetimeSeconds = 86_400
    /// Verified for unknown emails so they cost what a known one does.
    static let dummyHash = PasswordHasher.hash("not a password")

    /// The authenticated admin.
    struct User: Sendable {
        let id: String
        let json: String
    }

    static let unauthorized = APIError(.unauthorized, "unauthorized", "Unauthorized")

    func login(_ request: HTTPServerRequest) async throws -> HTTPServerResponse {
        try Router.allow([.POST], request)
        let body = try RequestBody(request.body, allowed: ["email", "password"])
        let email = try body.required(body.string("email", maxLength: 320), "email")
        let password = try body.required(body.string("password", maxLength: 1000), "password")
        let row = try await pool.query("SELECT id, password_hash FROM admin_user WHERE email = lower($1)", [email]).rows.first
        let stored = row?[1]
        // The dummy hash is computed on first use: on the blocking pool too.
        let matches = try await NIOThreadPool.singleton.runIfActive {
            PasswordHasher.verify(password, against: stored ?? Self.dummyHash)
        }
        guard let userID = row?[0], matches else {
            throw APIError(.unauthorized, "unauthorized", "Invalid email or password")
        }
        let token = Self.newToken()
        try await pool.query("""
            WITH gone AS (DELETE FROM admin_session WHERE expires_at < now())
            INSERT INTO admin_session (token_hash, user_id, expires_at)
            VALUES ($1, $2, now() + make_interval(secs => $3))
            """, [SHA256.hex(Array(token.utf8)), userID, String(Self.sessionLifetimeSeconds)])
        return .json(.ok, "{\"token\":\"\(token)\"}")
    }

    /// The admin a request's bearer token belongs to; 401 when absent, unknown or expired.
    func authenticate(_ request: HTTPServerRequest) async throws -> User {
        guard let header = request.headers.first(name: "authorization") else { throw Self.unauthorized }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer", parts[1].utf8.count == 64 else { throw Self.unauthorized }
        let row = try await pool.query("""
            SELECT u.id, json_build_object('id', u.id, 'email', u.email,
                'created_at', u.created_at, 'updated_at', u.updated_at)::text
            FROM admin_session s JOIN admin_user u ON u.id = s.user_id
            WHERE s.token_hash = $1 AND s.expires_at > now()
            """, [SHA256.hex(Array(parts[1].utf8))]).rows.first
        guard let id = row?[0], let json = row?[1] else { throw Self.unauthorized }
        return User(id: id, json: json)
    }

    static func newToken() -> String {
        var rng = SystemRandomNumberGenerator()
        return Hex.lowercase((0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) })
    }
}

/// The admin account `catalog-origin seed` creates (or whose password it resets).
public struct AdminAccount: Sendable {
    public static let defaultEmail = "admin@example.com"
    public static let defaultPassword = "supersecret"

    public var email: String
    public var password: String
    public var iterations: Int

    public init(email: String = defaultEmail, password: String = defaultPassword,
                iterations: Int = PasswordHasher.defaultIterations) {
        self.email = email
        self.password = password
        self.iterations = iterations
    }

    /// Creates the user, or gives an existing one with this email the new password.
    public func upsert(_ conn: PostgresConnection) throws {
        try conn.query("""
            INSERT INTO admin_user (id, email, password_hash) VALUES ($1, lower($2), $3)
            ON CONFLICT (email) DO UPDATE SET password_hash = EXCLUDED.password_hash, updated_at = now()
            """, [MedusaID.make("user"), email, PasswordHasher.hash(password, iterations: iterations)])
    }
}
