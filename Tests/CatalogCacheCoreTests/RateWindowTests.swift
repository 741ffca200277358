import CatalogCacheCore
import Testing

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
