/// SplitMix64: a tiny seeded generator so fuzz tests are reproducible.
public struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func bytes(count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &self) }
    }

    public mutating func element<T>(of elements: [T]) -> T {
        elements[Int.random(in: 0..<elements.count, using: &self)]
    }

    /// `bytes` with 1 to `maxEdits` random edits: a byte replaced, a bit flipped, a byte
    /// removed or one inserted (the fuzz tests' mutations of a valid input).
    public mutating func mutated(_ bytes: [UInt8], maxEdits: Int = 4) -> [UInt8] {
        var input = bytes
        for _ in 0..<Int.random(in: 1...maxEdits, using: &self) where !input.isEmpty {
            let position = Int.random(in: 0..<input.count, using: &self)
            switch Int.random(in: 0...3, using: &self) {
            case 0: input[position] = UInt8.random(in: .min ... .max, using: &self)
            case 1: input[position] ^= 1 << UInt8.random(in: 0...7, using: &self)
            case 2: input.remove(at: position)
            default: input.insert(UInt8.random(in: .min ... .max, using: &self), at: position)
            }
        }
        return input
    }
}
