import CatalogCacheCore
import Testing

@Suite struct RequestIDTests {
    @Test func acceptsSaneIdsOnly() {
        for ok in ["abc", "0f8fad5b-d9cb-469f-a165-70867728950e", "Root=1-67891233-abcdef012345678912345678", "a+b/c=", String(repeating: "x", count: 128)] {
            #expect(RequestID.isAcceptable(ok), "\(ok)")
        }
        for bad in ["", String(repeating: "x", count: 129), "a b", "a\r\nX-Evil: 1", "ä", "a\"b", "a;b", "a\u{0}"] {
            #expect(!RequestID.isAcceptable(bad), "\(bad.debugDescription)")
        }
    }

    @Test func generatedIdsArePrefixAndSequence() {
        let prefix = RequestID.prefix(random: 0xABC)
        #expect(prefix == "000000000abc")
        #expect(RequestID.make(prefix: prefix, sequence: 1) == "000000000abc-000001")
        #expect(RequestID.make(prefix: prefix, sequence: 0x1234567) == "000000000abc-1234567")
        #expect(RequestID.isAcceptable(RequestID.make(prefix: RequestID.prefix(random: .max), sequence: .max)))
    }
}
