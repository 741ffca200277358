import CatalogTestSupport
import Testing
@testable import CatalogCacheCore

@Suite struct NotifyPayloadParserTests {
    @Test(arguments: [
        (#"{"table":"product","op":"UPDATE","id":"prod_1"}"#,
         InvalidationEvent.row(table: "product", op: .update, ids: ["prod_1"], commitTimeMicros: nil)),
        (#"{"table":"product","op":"delete","ids":["a",2,"c"],"ts":1700000000123456}"#,
         .row(table: "product", op: .delete, ids: ["a", "2", "c"], commitTimeMicros: 1_700_000_000_123_456)),
        (#"{"table":"_t1","op":"Insert","id":7,"ids":[8]}"#, .row(table: "_t1", op: .insert, ids: ["7", "8"], commitTimeMicros: nil)),
        (#"{"table":"product","op":"TRUNCATE"}"#, .row(table: "product", op: .truncate, ids: [], commitTimeMicros: nil)),
        (#" { "op" : "UPDATE" , "table" : "product" , "ids" : [ ] , "extra" : {"x":[1,2,null,true]} } "#,
         .row(table: "product", op: .update, ids: [], commitTimeMicros: nil)),
        (#"{"table":"product","op":"UPDATE","id":"\u00e9\ud83d\ude00\n"}"#,
         .row(table: "product", op: .update, ids: ["é😀\n"], commitTimeMicros: nil)),
        (#"{"keys":["a","b"],"tags":["t"]}"#, .explicit(keys: ["a", "b"], tags: ["t"])),
        (#"{"keys":["a"]}"#, .explicit(keys: ["a"], tags: [])),
        (#"{"tags":[]}"#, .explicit(keys: [], tags: [])),
        (#"{"token":"rw-123"}"#, .token("rw-123")),
    ])
    func accepted(payload: String, expected: InvalidationEvent) throws {
        #expect(try NotifyPayloadParser.parse(payload) == expected)
    }

    @Test(arguments: [
        ("", "invalidJSON"),
        ("not json", "invalidJSON"),
        (#"{"table":"product","op":"UPDATE","id":"x""#, "invalidJSON"),
        (#"{"table":"product","op":"UPDATE","id":"x",}"#, "invalidJSON"),
        (#"{'table':'product'}"#, "invalidJSON"),
        (#"{"table":"product","op":"UPDATE","id":"x"} x"#, "invalidJSON"),
        (#"{"table":"a","table":"b","op":"UPDATE"}"#, "invalidJSON"),
        (#"{"token":"a\x"}"#, "invalidJSON"),
        (#"{"token":"\ud800"}"#, "invalidJSON"),
        (#"{"token":"\udc00"}"#, "invalidJSON"),
        ("{\"token\":\"a\nb\"}", "invalidJSON"),
        (#"{"table":"p","op":"UPDATE","id":01}"#, "invalidJSON"),
        (#"[1,2]"#, "notAnObject"),
        (#""str""#, "notAnObject"),
        (#"null"#, "notAnObject"),
        (#"{}"#, "missingField"),
        (#"{"id":"x"}"#, "missingField"),
        (#"{"table":"product","id":"x"}"#, "missingField"),
        (#"{"table":"product","op":"MERGE"}"#, "unknownOperation"),
        (#"{"table":"product","op":5}"#, "invalidField"),
        (#"{"table":5,"op":"UPDATE"}"#, "invalidField"),
        (#"{"table":"product;drop","op":"UPDATE"}"#, "invalidTableName"),
        (#"{"table":"1product","op":"UPDATE"}"#, "invalidTableName"),
        (#"{"table":"","op":"UPDATE"}"#, "invalidTableName"),
        (#"{"table":"p","op":"UPDATE","id":""}"#, "invalidField"),
        (#"{"table":"p","op":"UPDATE","id":1.5}"#, "invalidField"),
        (#"{"table":"p","op":"UPDATE","id":1e3}"#, "invalidField"),
        (#"{"table":"p","op":"UPDATE","id":null}"#, "invalidField"),
        (#"{"table":"p","op":"UPDATE","ids":"a"}"#, "invalidField"),
        (#"{"table":"p","op":"UPDATE","ids":[["a"]]}"#, "invalidField"),
        (#"{"table":"p","op":"UPDATE","id":99999999999999999999}"#, "invalidField"),
        (#"{"table":"p","op":"UPDATE","ts":"1"}"#, "invalidField"),
        (#"{"table":"p","op":"UPDATE","ts":-1}"#, "invalidField"),
        (#"{"table":"p","op":"UPDATE","ts":1.5}"#, "invalidField"),
        (#"{"keys":"a"}"#, "invalidField"),
        (#"{"keys":[1]}"#, "invalidField"),
        (#"{"keys":[""]}"#, "invalidField"),
        (#"{"tags":null}"#, "invalidField"),
        (#"{"token":""}"#, "invalidField"),
        (#"{"token":1}"#, "invalidField"),
        (#"{"table":"p","op":"UPDATE","keys":["a"]}"#, "ambiguousKind"),
        (#"{"token":"t","tags":["a"]}"#, "ambiguousKind"),
    ])
    func rejected(payload: String, kind: String) {
        do {
            let event = try NotifyPayloadParser.parse(payload)
            Issue.record("accepted \(payload) as \(event)")
        } catch {
            #expect(String(describing: error).hasPrefix(kind), "\(payload): \(error)")
        }
    }

    @Test func sizeLimit() throws {
        let padding = String(repeating: "x", count: NotifyPayloadParser.maximumBytes)
        #expect(throws: NotifyPayloadError.tooLarge(NotifyPayloadParser.maximumBytes + 12)) {
            try NotifyPayloadParser.parse(#"{"token":"\#(padding)"}"#)
        }
        let fits = String(repeating: "x", count: NotifyPayloadParser.maximumBytes - 12)
        #expect(try NotifyPayloadParser.parse(#"{"token":"\#(fits)"}"#) == .token(fits))
    }

    @Test func depthIsLimited() throws {
        let nested = { (depth: Int) in
            #"{"token":"t","x":"# + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}"
        }
        #expect(try NotifyPayloadParser.parse(nested(StrictJSONParser.maximumDepth - 1)) == .token("t"))
        #expect(throws: NotifyPayloadError.self) { try NotifyPayloadParser.parse(nested(StrictJSONParser.maximumDepth)) }
        #expect(throws: NotifyPayloadError.self) { try NotifyPayloadParser.parse(String(repeating: "[", count: 7000)) }
    }

    /// 100k generated and mutated payloads: the parser returns or throws, never traps or hangs;
    /// whatever it accepts is strict JSON and an event of the documented shape.
    @Test func fuzzedPayloadsAreRefusedOrKeepTheDocumentedShape() {
        var generator = SeededGenerator(seed: 0x15_0B)
        let seeds = [
            #"{"table":"product","op":"UPDATE","id":"prod_1"}"#,
            #"{"table":"product","op":"DELETE","ids":["a",2,"c"],"ts":1700000000123456}"#,
            #"{"keys":["a","b"],"tags":["t"]}"#,
            #"{"token":"rw-\u00e9"}"#,
        ].map { Array($0.utf8) }
        let atoms: [[UInt8]] = ["{", "}", "[", "]", ",", ":", "\"", "\\", "\\u", "d83d", "1", "-", ".", "e", "true", "null", " ",
                                "\"table\"", "\"op\"", "\"ids\"", "\"keys\"", "\"token\"", "tag:", "gen:"].map { Array($0.utf8) }
        var accepted = 0, events = 0
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
            // The error type is the signature's (typed throws); what is accepted keeps the
            // documented shape, and only from a payload that is strict JSON.
            guard let event = try? NotifyPayloadParser.parse(payload) else { continue }
            events += 1
            #expect((try? StrictJSONParser.parse(payload.utf8)) != nil, "\(payload.debugDescription)")
            #expect(Self.violations(of: event).isEmpty, "\(payload.debugDescription): \(Self.violations(of: event))")
        }
        #expect(accepted > 100)
        #expect(events > 100)
    }

    /// What the parser promises about an event it returns, as a list of broken promises.
    static func violations(of event: InvalidationEvent) -> [String] {
        var broken: [String] = []
        let identifier = /[A-Za-z_][A-Za-z0-9_]*/
        switch event {
        case .row(let table, _, let ids, let commitTime, _):
            if (try? identifier.wholeMatch(in: table)) == nil { broken.append("table \(table)") }
            if ids.contains(where: \.isEmpty) { broken.append("an empty id") }
            if let commitTime, commitTime < 0 { broken.append("ts \(commitTime)") }
        case .explicit(let keys, let tags):
            if keys.isEmpty && tags.isEmpty { broken.append("neither keys nor tags") }
            for name in keys + tags where name.isEmpty || NotifyPayloadParser.reservedNamespaces.contains(where: name.hasPrefix) {
                broken.append("name \(name)")
            }
        case .token(let token):
            if token.isEmpty { broken.append("an empty token") }
        }
        return broken
    }
}
