import CatalogTestSupport
import Testing
import CatalogCacheCore

@Suite struct EntryEnvelopeTests {
    static let sample = EntryMetadata(
        status: 200, contentType: "application/json; charset=utf-8", etag: "ba7816bf8f01cfea414140de5dae2223",
        storedAt: 1_700_000_000_123, ttl: 60, staleWhileRevalidate: 30, staleIfError: 300, encoding: .identity,
        identityLength: 3, tags: ["product:prod_1", "products"],
        extraHeaders: [HeaderField(name: "Last-Modified", value: "Tue, 15 Nov 1994 12:45:26 GMT"),
                       HeaderField(name: "Content-Language", value: "fr")]
    )

    @Test func roundTrip() throws {
        let body = Array("abc".utf8)
        let bytes = EntryEnvelope.encode(metadata: Self.sample, body: body)
        let (metadata, decodedBody) = try EntryEnvelope.decode(bytes)
        #expect(metadata == Self.sample)
        #expect(Array(decodedBody) == body)
        let (raw, offset) = try bytes.withUnsafeBytes { raw throws(EntryDecodingError) in try EntryEnvelope.decodeMetadata(raw) }
        #expect(raw == Self.sample)
        #expect(offset == bytes.count - 3)
    }

    @Test func byteLayoutKnownAnswer() {
        let metadata = EntryMetadata(status: 404, contentType: "t", etag: "e", storedAt: -2, ttl: 1,
                                     staleWhileRevalidate: 2, staleIfError: 3, encoding: .gzip, identityLength: 258,
                                     tags: ["g"], extraHeaders: [HeaderField(name: "n", value: "v")])
        let bytes = EntryEnvelope.encode(metadata: metadata, body: [0xAA, 0xBB])
        let expected: [UInt8] = [0x43, 0x43, 0x45, 0x01, 0x01, 0x94]
            + [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE]
            + [0, 0, 0, 0, 0, 0, 0, 1] + [0, 0, 0, 0, 0, 0, 0, 2] + [0, 0, 0, 0, 0, 0, 0, 3]
            + [0x01] + [0, 0, 0, 0, 0, 0, 0x01, 0x02]
            + [0, 0, 0, 1, 0x74] + [0, 0, 0, 1, 0x65]
            + [0, 0, 0, 1] + [0, 0, 0, 1, 0x67]
            + [0, 0, 0, 1] + [0, 0, 0, 1, 0x6E] + [0, 0, 0, 1, 0x76]
            + [0xAA, 0xBB]
        #expect(bytes == expected)
    }

    @Test func variedRoundTrips() throws {
        var generator = SeededGenerator(seed: 5)
        let strings = ["", "a", "é漢字🙂", "text/html", String(repeating: "x", count: 70_000)]
        for round in 0..<300 {
            let encoding = generator.element(of: ContentEncoding.allCases)
            let body = generator.bytes(count: Int.random(in: 0...300, using: &generator))
            let metadata = EntryMetadata(
                status: Int.random(in: 100...999, using: &generator),
                contentType: generator.element(of: strings), etag: generator.element(of: strings),
                storedAt: Int64.random(in: .min ... .max, using: &generator),
                ttl: Int.random(in: 0...Int.max, using: &generator),
                staleWhileRevalidate: Int.random(in: 0...100_000, using: &generator),
                staleIfError: Int.random(in: 0...100_000, using: &generator),
                encoding: encoding,
                identityLength: encoding == .identity ? body.count : Int.random(in: 0...1_000_000, using: &generator),
                tags: (0..<Int.random(in: 0...5, using: &generator)).map { _ in generator.element(of: strings) },
                extraHeaders: (0..<Int.random(in: 0...4, using: &generator)).map { _ in
                    HeaderField(name: generator.element(of: strings), value: generator.element(of: strings))
                }
            )
            let (decoded, decodedBody) = try EntryEnvelope.decode(EntryEnvelope.encode(metadata: metadata, body: body))
            #expect(decoded == metadata, "round \(round)")
            #expect(Array(decodedBody) == body)
        }
    }

    @Test func everyTruncationOfAnIdentityEntryIsRejected() {
        let bytes = EntryEnvelope.encode(metadata: Self.sample, body: Array("abc".utf8))
        for length in 0..<bytes.count {
            #expect(throws: EntryDecodingError.self, "length \(length)") { try EntryEnvelope.decode(Array(bytes[..<length])) }
        }
        #expect(throws: EntryDecodingError.invalidField("identityLength")) { try EntryEnvelope.decode(Array(bytes.dropLast())) }
        #expect(throws: EntryDecodingError.invalidField("identityLength")) { try EntryEnvelope.decode(bytes + [0]) }
        #expect(throws: EntryDecodingError.truncated) { try EntryEnvelope.decode(Array(bytes[..<10])) }
    }

    @Test func everyTruncationOfGzipMetadataIsRejected() throws {
        var metadata = Self.sample
        metadata.encoding = .gzip
        metadata.identityLength = 1000
        let body: [UInt8] = [0x1f, 0x8b, 0x08, 0x00]
        let bytes = EntryEnvelope.encode(metadata: metadata, body: body)
        let bodyOffset = bytes.count - body.count
        for length in 0..<bodyOffset {
            #expect(throws: EntryDecodingError.self, "length \(length)") { try EntryEnvelope.decode(Array(bytes[..<length])) }
        }
        // The body is not length-prefixed: a gzip body cut short still decodes (zlib catches it).
        let (decoded, shortBody) = try EntryEnvelope.decode(Array(bytes[..<(bodyOffset + 1)]))
        #expect(decoded == metadata)
        #expect(Array(shortBody) == [0x1f])
    }

    @Test func specificFailures() {
        let valid = EntryEnvelope.encode(metadata: Self.sample, body: Array("abc".utf8))
        func patched(_ offset: Int, _ values: [UInt8]) -> [UInt8] {
            var copy = valid
            copy.replaceSubrange(offset..<(offset + values.count), with: values)
            return copy
        }
        #expect(throws: EntryDecodingError.badMagic) { try EntryEnvelope.decode(patched(0, [0x58])) }
        #expect(throws: EntryDecodingError.badMagic) { try EntryEnvelope.decode(Array("XYZ".utf8)) }
        #expect(throws: EntryDecodingError.truncated) { try EntryEnvelope.decode([]) }
        #expect(throws: EntryDecodingError.truncated) { try EntryEnvelope.decode(Array("CC".utf8)) }
        #expect(throws: EntryDecodingError.truncated) { try EntryEnvelope.decode(Array("CCE".utf8)) }
        #expect(throws: EntryDecodingError.unsupportedVersion(3)) { try EntryEnvelope.decode(patched(3, [3])) }
        #expect(throws: EntryDecodingError.unsupportedVersion(0)) { try EntryEnvelope.decode(patched(3, [0])) }
        #expect(throws: EntryDecodingError.invalidField("status")) { try EntryEnvelope.decode(patched(4, [0, 99])) }
        #expect(throws: EntryDecodingError.invalidField("status")) { try EntryEnvelope.decode(patched(4, [0x03, 0xE8])) }
        #expect(throws: EntryDecodingError.invalidField("ttl")) { try EntryEnvelope.decode(patched(14, [0x80])) }
        #expect(throws: EntryDecodingError.invalidField("staleWhileRevalidate")) { try EntryEnvelope.decode(patched(22, [0xFF])) }
        #expect(throws: EntryDecodingError.invalidField("staleIfError")) { try EntryEnvelope.decode(patched(30, [0xFF])) }
        #expect(throws: EntryDecodingError.invalidField("encoding")) { try EntryEnvelope.decode(patched(38, [7])) }
        #expect(throws: EntryDecodingError.invalidField("identityLength")) { try EntryEnvelope.decode(patched(39, [0xFF])) }
        // Absurd string length (content type at offset 47).
        #expect(throws: EntryDecodingError.invalidLength) { try EntryEnvelope.decode(patched(47, [0xFF, 0xFF, 0xFF, 0xFF])) }
        // Invalid UTF-8 in the content type's first byte.
        #expect(throws: EntryDecodingError.invalidUTF8) { try EntryEnvelope.decode(patched(51, [0xC3])) }
        // Absurd tag count.
        let tagCountOffset = 47 + 4 + Self.sample.contentType.utf8.count + 4 + Self.sample.etag.utf8.count
        #expect(throws: EntryDecodingError.invalidLength) { try EntryEnvelope.decode(patched(tagCountOffset, [0xFF, 0xFF, 0xFF, 0xFF])) }
    }

    /// Random and mutated inputs never crash; whatever decodes re-encodes to the same bytes
    /// (the format is canonical), so a mutation can never be silently misread.
    @Test func fuzzedInputsNeverCrash() {
        var generator = SeededGenerator(seed: 0xCCE)
        let valid = EntryEnvelope.encode(metadata: Self.sample, body: Array("abc".utf8))
        var decodedCount = 0
        for round in 0..<100_000 {
            var input: [UInt8]
            switch round % 4 {
            case 0:
                input = generator.bytes(count: Int.random(in: 0...96, using: &generator))
            case 1:
                input = Array("CCE".utf8) + [1] + generator.bytes(count: Int.random(in: 0...96, using: &generator))
            default:
                input = generator.mutated(valid)
            }
            do {
                let (metadata, body) = try EntryEnvelope.decode(input)
                decodedCount += 1
                #expect(EntryEnvelope.encode(metadata: metadata, body: body) == input)
            } catch {
                // Any typed error is fine.
            }
        }
        #expect(decodedCount > 0)
    }

    @Test func etags() {
        #expect(EntryMetadata.etag(forIdentityBody: Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223")
        #expect(EntryMetadata.etag(forIdentityBody: [UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb924")
        #expect(Self.sample.etagValue(for: .identity) == "\"ba7816bf8f01cfea414140de5dae2223\"")
        #expect(Self.sample.etagValue(for: .gzip) == "\"ba7816bf8f01cfea414140de5dae2223-gzip\"")
        #expect(ContentEncoding.gzip.headerValue == "gzip")
        #expect(ContentEncoding.identity.headerValue == nil)
        #expect(ContentEncoding(rawValue: 0) == .identity && ContentEncoding(rawValue: 1) == .gzip)
    }
}
