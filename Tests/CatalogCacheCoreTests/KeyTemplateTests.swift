import Testing
import CatalogCacheCore

@Suite struct KeyTemplateTests {
    @Test func parsesParts() throws {
        #expect(try KeyTemplate("hero_banners:active").parts == [.literal("hero_banners:active")])
        #expect(try KeyTemplate("hero_banners:active").isFixed)
        let template = try KeyTemplate("product:{id}:{hash}")
        #expect(template.parts == [.literal("product:"), .placeholder("id"), .literal(":"), .placeholder("hash")])
        #expect(template.placeholderNames == ["id", "hash"])
        #expect(template.usesHash)
        #expect(!(try KeyTemplate("product:{id}")).usesHash)
        #expect(try KeyTemplate("{hash}").parts == [.placeholder("hash")])
    }

    @Test(arguments: ["", "a:{", "a:{id", "a:}", "a:{}", "a:{-}", "a:{id}{hash}", "a:{{id}}", "{a b}"])
    func rejectsInvalidTemplates(template: String) {
        #expect(throws: RouteError.self) { try KeyTemplate(template) }
    }

    @Test func expands() throws {
        let template = try KeyTemplate("product:{id}:{hash}")
        #expect(template.expand { ["id": "p1", "hash": "abc"][$0] } == "product:p1:abc")
        #expect(template.expand { _ in nil } == "product:{id}:{hash}")
    }
}
