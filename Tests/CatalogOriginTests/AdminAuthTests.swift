import CatalogHTTP
import Foundation
import NIOHTTP1
import Testing

@Suite("Admin authentication", .enabled(if: TestDatabase.enabled))
struct AdminAuthTests {
    @Test("login answers a token that /admin/users/me accepts")
    func login() async throws {
        try await TestDatabase.with(seed: nil) { env in
            #expect(env.token.count == 64)
            let me = await env.send(.GET, "/admin/users/me")
            #expect(me.status == .ok, "\(me.text)")
            #expect(me.object("user")["email"] as? String == "admin@example.com")
            let second = await env.send(.POST, "/auth/user/emailpass", body: #"{"email":"ADMIN@example.com","password":"supersecret"}"#)
            #expect(second.status == .ok)
            #expect((second.json["token"] as? String).map { $0 != env.token } == true, "every login gets its own token")
        }
    }

    @Test("wrong password, unknown email and bad bodies are refused")
    func refusals() async throws {
        try await TestDatabase.with(seed: nil) { env in
            for body in [#"{"email":"admin@example.com","password":"wrong"}"#, #"{"email":"nobody@example.com","password":"supersecret"}"#] {
                let r = await env.send(.POST, "/auth/user/emailpass", body: body)
                #expect(r.status == .unauthorized && r.errorCode == "unauthorized", "\(body)")
                #expect(r.json["token"] == nil)
            }
            for (body, field) in [(#"{"email":"admin@example.com"}"#, "password"), (#"{"password":"x"}"#, "email"),
                                  (#"{"email":"a@b","password":"x","extra":1}"#, "extra")] {
                let r = await env.send(.POST, "/auth/user/emailpass", body: body)
                #expect(r.status == .badRequest && r.message.contains(field), "\(body): \(r.text)")
            }
        }
    }

    @Test("every /admin route is 401 without a valid token and writes nothing")
    func adminNeedsToken() async throws {
        try await TestDatabase.with(seed: 5) { env in
            let before = try await env.footprint()
            let id = try await env.scalar("SELECT id FROM product ORDER BY id LIMIT 1")!
            let requests: [(HTTPMethod, String, String?)] = [
                (.GET, "/admin/users/me", nil), (.POST, "/admin/products", #"{"title":"x","price":1}"#),
                (.PATCH, "/admin/products/\(id)", #"{"title":"x"}"#), (.DELETE, "/admin/products/\(id)", nil),
                (.POST, "/admin/products/\(id)/inventory", #"{"delta":-1}"#), (.POST, "/admin/hero-banners", #"{"title":"t","image_url":"u"}"#),
                (.GET, "/admin/orders", nil), (.GET, "/admin/nothing-here", nil),
            ]
            for (method, uri, body) in requests {
                for header in [[], [("Authorization", "Bearer " + String(repeating: "0", count: 64))],
                               [("Authorization", "Basic \(env.token)")], [("Authorization", "Bearer")]] {
                    let r = await env.send(method, uri, body: body, headers: header, authenticated: false)
                    #expect(r.status == .unauthorized && r.errorCode == "unauthorized", "\(method) \(uri) \(header): \(r.text)")
                }
            }
            #expect(try await env.footprint() == before)
        }
    }

    @Test("an expired session is refused; passwords are stored as salted PBKDF2 hashes")
    func expiry() async throws {
        try await TestDatabase.with(seed: nil) { env in
            let stored = try await env.scalar("SELECT password_hash FROM admin_user")!
            #expect(stored.hasPrefix("pbkdf2-sha256$") && !stored.contains("supersecret"))
            try await env.pool.query("UPDATE admin_session SET expires_at = now() - interval '1 second'")
            let r = await env.send(.GET, "/admin/users/me")
            #expect(r.status == .unauthorized)
        }
    }
}
