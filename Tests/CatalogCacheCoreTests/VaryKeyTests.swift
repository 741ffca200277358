import Testing
import CatalogCacheCore

@Suite struct VaryKeyTests {
    @Test func fieldNames() {
        #expect(VaryKey.fieldNames([]) == [])
        #expect(VaryKey.fieldNames(["B, a", "A"]) == ["a", "b"])
        #expect(VaryKey.fieldNames(["Accept, *"]) == nil)
        #expect(VaryKey.fieldNames(["*"]) == nil)
        #expect(VaryKey.fieldNames([" , "]) == [])
    }

    static let sameVariant: [([String], [String])] = [
        (["en, fr"], ["en,fr"]),
        (["en", "fr"], ["en, fr"]),
        (["  en  "], ["en"]),
    ]

    @Test(arguments: sameVariant) func normalisedValuesSelectTheSameVariant(_ pair: ([String], [String])) {
        let a = VaryKey.secondaryKey(names: ["accept-language"]) { _ in pair.0 }
        let b = VaryKey.secondaryKey(names: ["accept-language"]) { _ in pair.1 }
        #expect(a == b)
    }

    @Test func distinctVariants() {
        let names = ["accept-language", "x-foo"]
        func key(_ values: [String: [String]]) -> String { VaryKey.secondaryKey(names: names) { values[$0] ?? [] } }
        let keys = [
            key([:]), key(["accept-language": [""]]), key(["accept-language": ["en"]]), key(["accept-language": ["fr"]]),
            key(["x-foo": ["en"]]), key(["accept-language": ["en"], "x-foo": ["1"]]), key(["accept-language": ["EN"]]),
        ]
        #expect(Set(keys).count == keys.count)
        #expect(VaryKey.secondaryKey(names: []) { _ in ["x"] } == "")
        #expect(keys[2].count == 32)
    }
}
