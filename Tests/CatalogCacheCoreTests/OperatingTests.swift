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

@Suite struct HistogramQuantileTests {
    let bounds: [Double] = [1, 2, 4]

    @Test func interpolatesInsideTheBucketLikePrometheus() {
        // 10 observations in (1, 2]: the median is halfway through that bucket.
        #expect(HistogramQuantile.quantile(0.5, bounds: bounds, counts: [0, 10, 0, 0]) == 1.5)
        // 4 in [0, 1], 4 in (1, 2], 2 in (2, 4]: p90 is at rank 9, the middle of the last bucket.
        #expect(HistogramQuantile.quantile(0.9, bounds: bounds, counts: [4, 4, 2, 0]) == 3)
        #expect(HistogramQuantile.quantile(0.25, bounds: bounds, counts: [4, 4, 2, 0]) == 0.625)
        #expect(HistogramQuantile.quantile(1, bounds: bounds, counts: [4, 4, 2, 0]) == 4)
    }

    @Test func infBucketAndEmptyHistograms() {
        #expect(HistogramQuantile.quantile(0.99, bounds: bounds, counts: [1, 0, 0, 9]) == 4)
        #expect(HistogramQuantile.quantile(0.5, bounds: bounds, counts: [0, 0, 0, 0]) == nil)
        // Empty buckets before the rank are skipped, not interpolated into.
        #expect(HistogramQuantile.quantile(0, bounds: bounds, counts: [0, 0, 3, 0]) == 2)
    }

    @Test func latencyBucketIndexes() {
        #expect(LatencyBuckets.index(nanoseconds: 0) == 0)
        #expect(LatencyBuckets.index(nanoseconds: 10_000) == 0)
        #expect(LatencyBuckets.index(nanoseconds: 10_001) == 1)
        #expect(LatencyBuckets.index(nanoseconds: 30_000_000_000) == LatencyBuckets.count - 2)
        #expect(LatencyBuckets.index(nanoseconds: .max) == LatencyBuckets.count - 1)
        #expect(LatencyBuckets.boundsSeconds.first == 0.00001)
    }
}

@Suite struct RateWindowTests {
    @Test func ratesOverTheRequestedSpan() {
        var window = RateWindow(capacity: 8)
        #expect(window.rates(spanMilliseconds: 1000).isEmpty)
        for second in 0...10 {
            window.add(.init(atMilliseconds: Int64(second) * 1000, values: ["hit": second * second]))
        }
        #expect(window.samples.count == 8)
        // Last second: 100 - 81.
        #expect(window.rates(spanMilliseconds: 1000)["hit"] == 19)
        // Last five seconds: (100 - 25) / 5.
        #expect(window.rates(spanMilliseconds: 5000)["hit"] == 15)
        // Longer than kept: the oldest kept sample (t = 3 s): (100 - 9) / 7.
        #expect(window.rates(spanMilliseconds: 60000)["hit"] == 13)
    }

    @Test func resetsCountFromZeroAndOldSamplesAreIgnored() {
        var window = RateWindow(capacity: 4)
        window.add(.init(atMilliseconds: 1000, values: ["x": 500]))
        window.add(.init(atMilliseconds: 500, values: ["x": 0]))
        window.add(.init(atMilliseconds: 3000, values: ["x": 40, "new": 10]))
        #expect(window.samples.count == 2)
        #expect(window.rates(spanMilliseconds: 1000) == ["x": 20, "new": 5])
    }
}

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
