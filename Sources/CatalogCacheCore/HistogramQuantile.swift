/// Quantiles from a fixed-bucket histogram, the way Prometheus's `histogram_quantile`
/// computes them, so the dashboard, `catalog-cache stat` and Grafana agree.
public enum HistogramQuantile {
    /// `counts[i]` is the number of observations in bucket `i` (not cumulative): bucket `i`
    /// holds values `<= bounds[i]` (and above `bounds[i-1]`); the last, extra bucket is +Inf.
    /// Linear interpolation inside the bucket holding rank `q * total`; the first bucket
    /// starts at 0; a quantile falling in the +Inf bucket is the largest finite bound.
    /// Nil with no observations. `q` is clamped to 0...1.
    public static func quantile(_ q: Double, bounds: [Double], counts: [Int]) -> Double? {
        precondition(counts.count == bounds.count + 1, "one count per bound plus +Inf")
        let total = counts.reduce(0, +)
        guard total > 0, !bounds.isEmpty else { return nil }
        let rank = min(max(q, 0), 1) * Double(total)
        var cumulative = 0
        for (i, n) in counts.enumerated() {
            let before = cumulative
            cumulative += n
            guard Double(cumulative) >= rank, n > 0 else { continue }
            if i == bounds.count { return bounds[bounds.count - 1] }
            let lower = i == 0 ? 0 : bounds[i - 1]
            let upper = bounds[i]
            return lower + (upper - lower) * (rank - Double(before)) / Double(n)
        }
        return bounds[bounds.count - 1]
    }
}

/// The request latency buckets, in nanoseconds: 10 µs to 30 s, finer where hits are.
public enum LatencyBuckets {
    public static let boundsNanoseconds: [Int] = [
        10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
        1_000_000, 2_500_000, 5_000_000, 10_000_000, 25_000_000, 50_000_000,
        100_000_000, 250_000_000, 500_000_000, 1_000_000_000, 2_500_000_000, 5_000_000_000,
        10_000_000_000, 30_000_000_000,
    ]
    public static let boundsSeconds: [Double] = boundsNanoseconds.map { Double($0) / 1e9 }
    /// Buckets including +Inf.
    public static let count = boundsNanoseconds.count + 1

    /// The bucket of a duration: the first bound it does not exceed, or the +Inf bucket.
    @inline(__always)
    public static func index(nanoseconds: Int) -> Int {
        var i = 0
        while i < boundsNanoseconds.count && nanoseconds > boundsNanoseconds[i] { i += 1 }
        return i
    }
}
