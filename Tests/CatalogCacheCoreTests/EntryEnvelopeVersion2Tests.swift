import CatalogTestSupport
import Testing
import CatalogCacheCore

@Suite struct EntryEnvelopeVersion2Tests {
    static let origin = EntryMetadata(
        status: 203, contentType: "text/plain", etag: "ba7816bf8f01cfea414140de5dae2223", storedAt: 1_700_000_000_123, ttl: 0,
        identityLength: 3, tags: ["t"], extraHeaders: [HeaderField(name: "ETag", value: "\"x\""), HeaderField(name: "Vary", value: "Accept")],
        kind: .originResponse, initialAge: 1500, variantKey: "0123456789abcdef0123456789abcdef"
    )

    @Test func roundTripsAndVersionByte() throws {
        let bytes = EntryEnvelope.encode(metadata: Self.origin, body: Array("abc".utf8))
        #expect(bytes[3] == 2)
        let (meta, body) = try EntryEnvelope.decode(bytes)
        #expect(meta == Self.origin && Array(body) == Array("abc".utf8))
        // Configured entries keep version 1.
        #expect(EntryEnvelope.encode(metadata: EntryEnvelopeTests.sample, body: Array("abc".utf8))[3] == 1)
        var index = Self.origin
        index.kind = .varyIndex
        index.identityLength = 0
        #expect(try EntryEnvelope.decode(EntryEnvelope.encode(metadata: index, body: [UInt8]())).0 == index)
    }

    @Test func version2OfKindConfiguredIsRejected() {
        var meta = Self.origin
        meta.kind = .configured  // still version 2 because of initialAge
        let bytes = EntryEnvelope.encode(metadata: meta, body: Array("abc".utf8))
        #expect(throws: EntryDecodingError.invalidField("kind")) { try EntryEnvelope.decode(bytes) }
    }

    @Test func fuzzedVersion2InputsNeverCrash() {
        var generator = SeededGenerator(seed: 0xCCE2)
        let valid = EntryEnvelope.encode(metadata: Self.origin, body: Array("abc".utf8))
        var decoded = 0
        for _ in 0..<50_000 {
            let input = generator.mutated(valid)
            if let (meta, body) = try? EntryEnvelope.decode(input) {
                decoded += 1
                #expect(EntryEnvelope.encode(metadata: meta, body: body) == input)
            }
        }
        #expect(decoded > 0)
    }
}
