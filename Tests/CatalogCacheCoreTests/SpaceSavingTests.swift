import CatalogCacheCore
import CatalogTestSupport
import Testing

@Suite struct SpaceSavingTests {
    @Test func exactWhileUnderCapacity() {
        var top = SpaceSaving<String>(capacity: 4)
        for (key, n) in [("a", 5), ("b", 3), ("c", 7)] { for _ in 0..<n { top.record(key) } }
        #expect(top.top(10) == [.init(key: "c", count: 7, error: 0), .init(key: "a", count: 5, error: 0), .init(key: "b", count: 3, error: 0)])
        #expect(top.top(1).map(\.key) == ["c"])
        #expect(top.total == 15)
    }

    @Test func replacesTheMinimumAndInheritsItsCountAsError() {
        var top = SpaceSaving<String>(capacity: 2)
        for _ in 0..<5 { top.record("a") }
        for _ in 0..<2 { top.record("b") }
        top.record("c")  // replaces b (count 2): c = 3 with error 2
        #expect(top.top(2) == [.init(key: "a", count: 5, error: 0), .init(key: "c", count: 3, error: 2)])
    }

    /// The guarantee: every key heavier than total/capacity is monitored, and its count
    /// bounds its true count from above within its error.
    @Test func findsTheHeavyHittersOfASkewedStream() {
        var generator = SeededGenerator(seed: 42)
        var top = SpaceSaving<Int>(capacity: 20)
        var truth: [Int: Int] = [:]
        for _ in 0..<50_000 {
            // Skewed over 1000 keys: r^4 crowds towards key 0.
            let r = Double(UInt32.random(in: 0...UInt32.max, using: &generator)) / Double(UInt32.max)
            let key = min(Int(r * r * r * r * 1000), 999)
            truth[key, default: 0] += 1
            top.record(key)
        }
        let threshold = top.total / top.capacity
        let monitored = Dictionary(uniqueKeysWithValues: top.top(20).map { ($0.key, $0) })
        for (key, n) in truth where n > threshold {
            let item = try! #require(monitored[key], "key \(key) with \(n) > \(threshold) must be monitored")
            #expect(item.count >= n && item.count - item.error <= n)
        }
        #expect(top.top(1).first?.key == 0)
    }

    @Test func decayHalvesAndForgetsTheColdest() {
        var top = SpaceSaving<String>(capacity: 4)
        for _ in 0..<8 { top.record("hot") }
        top.record("once")
        top.decay()
        #expect(top.top(4) == [.init(key: "hot", count: 4, error: 0)])
        #expect(top.total == 4)
    }
}
