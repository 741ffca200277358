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
}
