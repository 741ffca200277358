import CatalogTestSupport
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

    /// 100k generated and mutated payloads: the parser must return or throw, never trap or
    /// hang, and everything it accepts must also survive the payload layer.
    @Test func fuzzedPayloadsNeverCrash() {
        var generator = SeededGenerator(seed: 0x15_0B)
        let seeds = [
            #"{"table":"product","op":"UPDATE","id":"prod_1"}"#,
            #"{"table":"product","op":"DELETE","ids":["a",2,"c"],"ts":1700000000123456}"#,
            #"{"keys":["a","b"],"tags":["t"]}"#,
            #"{"token":"rw-\u00e9"}"#,
        ].map { Array($0.utf8) }
        let atoms: [[UInt8]] = ["{", "}", "[", "]", ",", ":", "\"", "\\", "\\u", "d83d", "1", "-", ".", "e", "true", "null", " ",
                                "\"table\"", "\"op\"", "\"ids\"", "\"keys\"", "\"token\""].map { Array($0.utf8) }
        var accepted = 0
        for round in 0..<100_000 {
            var input: [UInt8]
            if round % 2 == 0 {
                input = generator.element(of: seeds)
                for _ in 0..<Int.random(in: 1...3, using: &generator) where !input.isEmpty {
                    let position = Int.random(in: 0..<input.count, using: &generator)
                    switch Int.random(in: 0...3, using: &generator) {
                    case 0: input[position] = UInt8.random(in: 0...0x7F, using: &generator)
                    case 1: input.remove(at: position)
                    case 2: input.insert(contentsOf: generator.element(of: atoms), at: position)
                    default: input = Array(input[..<position])
                    }
                }
            } else {
                input = (0..<Int.random(in: 0...12, using: &generator)).flatMap { _ in generator.element(of: atoms) }
            }
            if (try? StrictJSONParser.parse(input)) != nil { accepted += 1 }
            let payload = String(decoding: input, as: UTF8.self)
            _ = try? NotifyPayloadParser.parse(payload)
        }
        #expect(accepted > 100)
    }
}
