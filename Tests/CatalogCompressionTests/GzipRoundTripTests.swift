import CatalogCompression
import Foundation
import Testing

/// Round trips and format checks for ``Gzip``.
@Suite struct GzipRoundTripTests {
    /// Deterministic pseudo-random bytes (SplitMix64), so failures are reproducible.
    static func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        var out = [UInt8]()
        out.reserveCapacity(count)
        while out.count < count {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            withUnsafeBytes(of: z) { out.append(contentsOf: $0.prefix(count - out.count)) }
        }
        return out
    }

    static func repetitiveBytes(_ count: Int) -> [UInt8] {
        let pattern = Array(#"{"id":"prod_01","title":"Catalog item","price":1999},"#.utf8)
        return (0..<count).map { pattern[$0 % pattern.count] }
    }

    static let sizes = [0, 1, 2, 100, 2047, 2048, 2049, 65_536, 1 << 20]

    @Test(arguments: sizes)
    func randomRoundTrip(size: Int) throws {
        let input = Self.randomBytes(size, seed: UInt64(size) + 1)
        let compressed = try Gzip.compress(input)
        #expect(Array(compressed.prefix(2)) == [0x1f, 0x8b])
        let output = try Gzip.decompress(compressed, maxOutput: size)
        #expect(output == input)
    }

    @Test(arguments: sizes)
    func repetitiveRoundTrip(size: Int) throws {
        let input = Self.repetitiveBytes(size)
        let compressed = try Gzip.compress(input, level: 9)
        #expect(Array(compressed.prefix(2)) == [0x1f, 0x8b])
        if size >= 2048 { #expect(compressed.count < size / 4) }
        #expect(try Gzip.decompress(compressed, maxOutput: size) == input)
    }

    @Test(arguments: [Int32(-1), 0, 1, 9])
    func everyLevelRoundTrips(level: Int32) throws {
        let input = Self.repetitiveBytes(10_000) + Self.randomBytes(10_000, seed: 7)
        #expect(try Gzip.decompress(Gzip.compress(input, level: level), maxOutput: input.count) == input)
    }

    @Test func nonContiguousCollectionAndRawPointerOverloads() throws {
        let input = Self.repetitiveBytes(5000)
        let fromSlice = try Gzip.compress(input[...].lazy.map { $0 })
        let fromRaw = try input.withUnsafeBytes { raw in try Gzip.compress(raw) }
        #expect(fromSlice == fromRaw)
        let back = try fromRaw.withUnsafeBytes { raw in try Gzip.decompress(raw, maxOutput: 5000) }
        #expect(back == input)
    }

    @Test func wrongSizeHintStillDecompresses() throws {
        // Two concatenated members: the trailer's ISIZE only describes the second one.
        let a = Self.randomBytes(70_000, seed: 3), b = Self.repetitiveBytes(10)
        let joined = try Gzip.compress(a) + Gzip.compress(b)
        #expect(try Gzip.decompress(joined, maxOutput: 1 << 20) == a + b)
    }

    @Test func systemGzipDecodesOurOutput() throws {
        let input = Self.repetitiveBytes(100_000) + Self.randomBytes(3000, seed: 11)
        let compressed = try Gzip.compress(input)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gzip-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("body.gz")
        try Data(compressed).write(to: file)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-dc", file.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let decoded = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect([UInt8](decoded) == input)
    }

    @Test func decodesSystemGzipOutput() throws {
        let input = Self.repetitiveBytes(30_000)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-c", "-9"]
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        stdin.fileHandleForWriting.write(Data(input))
        try stdin.fileHandleForWriting.close()
        let compressed = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(try Gzip.decompress([UInt8](compressed), maxOutput: input.count) == input)
    }
}
