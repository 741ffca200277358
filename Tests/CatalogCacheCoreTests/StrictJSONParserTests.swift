import Testing
@testable import CatalogCacheCore

@Suite struct StrictJSONParserTests {
    @Test(arguments: [
        ("0", JSONValue.number("0")), ("-0", .number("-0")), ("12.5e-3", .number("12.5e-3")), ("1E+2", .number("1E+2")),
        ("true", .bool(true)), ("false", .bool(false)), ("null", .null),
        (#""a\"\\\/\b\f\n\r\t""#, .string("a\"\\/\u{8}\u{c}\n\r\t")),
        (#""\u0041\u00e9""#, .string("Aé")),
        ("[]", .array([])), ("[1, [2]]", .array([.number("1"), .array([.number("2")])])),
        (#"{"a":{"b":[]}}"#, .object([(key: "a", value: .object([(key: "b", value: .array([]))]))])),
        (" \t\r\n1 ", .number("1")),
        ("\"é\"", .string("é")),
    ])
    func valid(text: String, expected: JSONValue) throws {
        #expect(try StrictJSONParser.parse(text.utf8) == expected)
    }

    @Test(arguments: [
        "", " ", "01", "-", "1.", ".5", "1e", "+1", "tru", "nul", "[1,]", "[,1]", "{\"a\"}", "{\"a\":}", "{a:1}",
        "[1 2]", "\"abc", "\"\\u12\"", "\"\\uZZZZ\"", "\u{0}", "NaN", "Infinity", "[]]", "{}}", "\"\t\"",
        "\"\\ud83d\\u0041\"",
    ])
    func invalid(text: String) {
        #expect(throws: StrictJSONParser.Failure.self) { try StrictJSONParser.parse(text.utf8) }
    }

    @Test func invalidUTF8IsRejected() {
        #expect(throws: StrictJSONParser.Failure.self) { try StrictJSONParser.parse([0x22, 0xC3, 0x22]) }
        #expect(throws: StrictJSONParser.Failure.self) { try StrictJSONParser.parse([0x22, 0xFF, 0x22]) }
    }
}
