import CatalogCacheCore
import Testing

/// `CDN-Cache-Control` parsed as an RFC 8941 dictionary (swift-http-structured-headers).
@Suite struct TargetedCacheControlTests {
    @Test func aQuotedStringMayHoldACommaAndTheFieldStillApplies() throws {
        let directives = try #require(TargetedCacheControl.directives(["max-age=60, foo=\"a,b\""]))
        #expect(directives.first("foo")?.value == "a,b")
        let effective = ResponseCacheControl.effective(cacheControl: ["no-store"], cdnCacheControl: ["max-age=60, foo=\"a,b\""])
        #expect(effective.maxAge == .seconds(60) && !effective.noStore)
        let qualified = ResponseCacheControl.effective(cacheControl: [], cdnCacheControl: ["max-age=60, private=\"set-cookie,x-user\""])
        #expect(qualified.privateFields == ["set-cookie", "x-user"] && !qualified.isPrivate)
    }

    @Test func anUnterminatedStringIsRefusedWhole() {
        #expect(TargetedCacheControl.directives(["max-age=60, foo=\"abc"]) == nil)
        let effective = ResponseCacheControl.effective(cacheControl: ["max-age=5"], cdnCacheControl: ["max-age=60, foo=\"abc"])
        #expect(effective.maxAge == .seconds(5), "the invalid targeted field is ignored: Cache-Control decides")
    }

    @Test(arguments: ["&&&", "max-age=\"10\"", "max-age=-1", "max-age=1.5", "Max-Age=10", "max-age=10;", "max-age=10,,"])
    func invalidTargetedFieldsAreIgnored(_ field: String) {
        #expect(TargetedCacheControl.directives([field]) == nil, "\(field)")
        #expect(ResponseCacheControl.effective(cacheControl: ["max-age=5"], cdnCacheControl: [field]).maxAge == .seconds(5), "\(field)")
    }

    @Test func booleansParametersAndSeveralLines() throws {
        let directives = try #require(TargetedCacheControl.directives(["no-store=?0, must-revalidate;x=1", "max-age=30"]))
        #expect(!directives.contains("no-store"))
        #expect(directives.contains("must-revalidate"))
        #expect(directives.seconds("max-age") == .seconds(30))
        #expect(ResponseCacheControl.effective(cacheControl: [], cdnCacheControl: ["no-store"]).noStore)
    }
}
