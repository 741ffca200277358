import CatalogCacheCore
import Testing

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
