import CatalogCompression
import Testing

/// ``Gzip`` rejects bad input and oversized output with typed errors and never traps.
@Suite struct GzipRejectionTests {
    let input = GzipRoundTripTests.repetitiveBytes(50_000) + GzipRoundTripTests.randomBytes(5_000, seed: 5)

    @Test func emptyInputIsTruncated() {
        #expect(throws: CompressionError.truncatedInput) { try Gzip.decompress([UInt8](), maxOutput: 10) }
    }

    @Test func everyTruncationIsRejected() throws {
        let compressed = try Gzip.compress(input)
        // Every prefix, including ones that end inside the header and the trailer.
        let cuts = Array(0..<40) + stride(from: 40, to: compressed.count, by: 97) + [compressed.count - 1]
        for cut in cuts {
            #expect(throws: CompressionError.truncatedInput, "prefix of \(cut) bytes") {
                try Gzip.decompress(compressed.prefix(cut), maxOutput: input.count)
            }
        }
    }

    @Test func garbageIsCorrupt() {
        let garbage = Array("this is not gzip at all, not even zlib".utf8)
        #expect(throws: CompressionError.self) { try Gzip.decompress(garbage, maxOutput: 1000) }
        do {
            _ = try Gzip.decompress(garbage, maxOutput: 1000)
        } catch {
            guard case .corruptInput = error else { Issue.record("expected corruptInput, got \(error)"); return }
        }
    }

    @Test func flippedBytesAreRejected() throws {
        let compressed = try Gzip.compress(input)
        // Corrupt the body and, separately, the CRC32 in the trailer.
        for index in [12, compressed.count / 2, compressed.count - 6] {
            var bad = compressed
            bad[index] ^= 0xFF
            #expect(throws: CompressionError.self, "byte \(index) flipped") {
                let out = try Gzip.decompress(bad, maxOutput: input.count * 2)
                // A flip that happens to decode must at least not reproduce the input silently.
                if out == input { throw CompressionError.corruptInput(reason: "undetected") }
            }
        }
    }

    @Test func trailingGarbageIsRejected() throws {
        let compressed = try Gzip.compress(input) + Array("junk".utf8)
        #expect(throws: CompressionError.self) { try Gzip.decompress(compressed, maxOutput: input.count) }
    }

    @Test func maxOutputIsEnforced() throws {
        let compressed = try Gzip.compress(input)
        #expect(try Gzip.decompress(compressed, maxOutput: input.count) == input)
        #expect(throws: CompressionError.outputLimitExceeded(limit: input.count - 1)) {
            try Gzip.decompress(compressed, maxOutput: input.count - 1)
        }
        #expect(throws: CompressionError.outputLimitExceeded(limit: 0)) {
            try Gzip.decompress(compressed, maxOutput: 0)
        }
        #expect(throws: CompressionError.invalidLimit(-1)) { try Gzip.decompress(compressed, maxOutput: -1) }
    }

    @Test func zipBombStopsAtTheLimit() throws {
        // 64 MiB of zeros compress to ~64 KiB; the limit stops inflation long before.
        let bomb = try Gzip.compress([UInt8](repeating: 0, count: 64 << 20), level: 9)
        #expect(bomb.count < 1 << 20)
        #expect(throws: CompressionError.outputLimitExceeded(limit: 1 << 20)) {
            try Gzip.decompress(bomb, maxOutput: 1 << 20)
        }
    }

    @Test func lyingSizeTrailerIsHarmless() throws {
        // A trailer claiming 4 GiB must not make decompress allocate beyond maxOutput.
        var compressed = try Gzip.compress(input)
        let n = compressed.count
        compressed[n - 4] = 0xFF; compressed[n - 3] = 0xFF; compressed[n - 2] = 0xFF; compressed[n - 1] = 0xFF
        #expect(throws: CompressionError.self) { try Gzip.decompress(compressed, maxOutput: input.count) }
    }

    @Test func invalidLevelIsRejected() {
        #expect(throws: CompressionError.invalidLevel(10)) { try Gzip.compress([1, 2, 3], level: 10) }
        #expect(throws: CompressionError.invalidLevel(-2)) { try Gzip.compress([1, 2, 3], level: -2) }
    }
}
