import CatalogCacheCore
import Testing

@Suite struct NotifyReservedNamesTests {
    @Test(arguments: [#"{"keys":["tag:products"]}"#, #"{"tags":["gen:products"]}"#, #"{"keys":["ok","lock:products:abc"]}"#, #"{"keys":["identity:x"]}"#])
    func explicitNamesInTheStoresNamespacesAreRefused(payload: String) {
        #expect(throws: NotifyPayloadError.self) { try NotifyPayloadParser.parse(payload) }
    }

    @Test func ordinaryKeysAndTagsPass() throws {
        #expect(try NotifyPayloadParser.parse(#"{"keys":["hero_banners:active","rfc:0123"],"tags":["products","product:prod_1"]}"#)
            == .explicit(keys: ["hero_banners:active", "rfc:0123"], tags: ["products", "product:prod_1"]))
    }
}
