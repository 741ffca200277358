import CatalogHTTP
import Foundation
import Testing

@Suite("Admin: hero banners", .enabled(if: TestDatabase.enabled))
struct AdminHeroBannerTests {
    @Test("create, update (PATCH and POST), delete; the store sees each change")
    func lifecycle() async throws {
        try await TestDatabase.with(seed: nil) { env in
            let created = await env.send(.POST, "/admin/hero-banners",
                                         body: #"{"title":"Launch","image_url":"https://img/x.jpg","link":"/l","sort_order":0}"#)
            #expect(created.status == .ok, "\(created.text)")
            let banner = created.object("hero_banner")
            let id = banner["id"] as! String
            #expect(id.hasPrefix("hb_") && banner["is_active"] as? Bool == true && banner["link"] as? String == "/l")
            #expect(await env.send(.GET, "/store/hero-banners").list("hero_banners").first?["id"] as? String == id)

            let patched = await env.send(.PATCH, "/admin/hero-banners/\(id)", body: #"{"title":"Launch 2","link":null}"#)
            #expect(patched.object("hero_banner")["title"] as? String == "Launch 2")
            #expect(patched.object("hero_banner")["link"] is NSNull)
            let posted = await env.send(.POST, "/admin/hero-banners/\(id)", body: #"{"is_active":false}"#)
            #expect(posted.object("hero_banner")["is_active"] as? Bool == false)
            #expect(await env.send(.GET, "/store/hero-banners").list("hero_banners").allSatisfy { $0["id"] as? String != id })

            let deleted = await env.send(.DELETE, "/admin/hero-banners/\(id)")
            #expect(deleted.json["id"] as? String == id)
            #expect(deleted.json["object"] as? String == "hero_banner")
            #expect(deleted.json["deleted"] as? Bool == true)
            #expect(await env.send(.DELETE, "/admin/hero-banners/\(id)").status == .notFound)
            #expect(await env.send(.PATCH, "/admin/hero-banners/\(id)", body: "{}").status == .notFound)
            let remaining = try await env.count("SELECT count(*) FROM hero_banner")
            #expect(remaining == 0)
        }
    }

    @Test("a new banner without sort_order goes last")
    func defaultSortOrder() async throws {
        try await TestDatabase.with(seed: 0) { env in
            let max = try await env.count("SELECT coalesce(max(sort_order), -1) FROM hero_banner")
            let r = await env.send(.POST, "/admin/hero-banners", body: #"{"title":"T","image_url":"u"}"#)
            #expect(r.object("hero_banner")["sort_order"] as? Int == max + 1)
        }
    }

    @Test("batch reorder with order and with ids")
    func reorder() async throws {
        try await TestDatabase.with(seed: 0) { env in
            let ids = try await env.pool.query("SELECT id FROM hero_banner WHERE is_active ORDER BY sort_order, id")
                .rows.map { $0[0]! }
            let reversed = Array(ids.reversed())
            let body = "{\"ids\":[" + reversed.map { "\"\($0)\"" }.joined(separator: ",") + "]}"
            let r = await env.send(.POST, "/admin/hero-banners/batch", body: body)
            #expect(r.status == .ok, "\(r.text)")
            let store = await env.send(.GET, "/store/hero-banners").list("hero_banners").map { $0["id"] as! String }
            #expect(store == reversed)

            let order = "{\"order\":[{\"id\":\"\(ids[0])\",\"sort_order\":1000},{\"id\":\"\(ids[1])\",\"sort_order\":999}]}"
            let r2 = await env.send(.PATCH, "/admin/hero-banners/batch", body: order)
            #expect(r2.status == .ok)
            let after = await env.send(.GET, "/store/hero-banners").list("hero_banners").map { $0["id"] as! String }
            #expect(Array(after.suffix(2)) == [ids[1], ids[0]])
        }
    }

    @Test("batch reorder is atomic: one unknown id changes nothing")
    func reorderAtomic() async throws {
        try await TestDatabase.with(seed: 0) { env in
            let ids = try await env.pool.query("SELECT id FROM hero_banner ORDER BY id").rows.map { $0[0]! }
            let before = try await env.footprint()
            let body = "{\"order\":[{\"id\":\"\(ids[0])\",\"sort_order\":500},{\"id\":\"hb_missing\",\"sort_order\":1}]}"
            let r = await env.send(.POST, "/admin/hero-banners/batch", body: body)
            #expect(r.status == .notFound && r.message.contains("hb_missing"))
            #expect(try await env.footprint() == before)
        }
    }

    @Test("invalid bodies are 400 naming the field and write nothing", arguments: [
        ("/admin/hero-banners", #"{"image_url":"u"}"#, "title"),
        ("/admin/hero-banners", #"{"title":"","image_url":"u"}"#, "title"),
        ("/admin/hero-banners", #"{"title":5,"image_url":"u"}"#, "title"),
        ("/admin/hero-banners", #"{"title":"t","image_url":"u","is_active":"yes"}"#, "is_active"),
        ("/admin/hero-banners", #"{"title":"t","image_url":"u","sort_order":-1}"#, "sort_order"),
        ("/admin/hero-banners", #"{"title":"t","image_url":"u","sort_order":"1"}"#, "sort_order"),
        ("/admin/hero-banners", #"{"title":"t","image_url":"u","color":"red"}"#, "color"),
        ("/admin/hero-banners", #"{"title":"t","#, "JSON"),
        ("/admin/hero-banners", #"["title"]"#, "object"),
        ("/admin/hero-banners/batch", #"{"order":[{"id":"x"}]}"#, "sort_order"),
        ("/admin/hero-banners/batch", #"{"ids":[]}"#, "ids"),
        ("/admin/hero-banners/batch", #"{"ids":["a","a"]}"#, "unique"),
        ("/admin/hero-banners/batch", #"{"ids":[1]}"#, "ids[0]"),
        ("/admin/hero-banners/batch", #"{}"#, "order"),
    ])
    func invalid(path: String, body: String, field: String) async throws {
        try await TestDatabase.with(seed: 0) { env in
            let before = try await env.footprint()
            let r = await env.send(.POST, path, body: body)
            #expect(r.status == .badRequest, "\(r.text)")
            #expect(r.errorCode == "invalid_request" || r.errorCode == "invalid_json")
            #expect(r.message.contains(field), "\(r.message)")
            #expect(try await env.footprint() == before)
        }
    }
}
