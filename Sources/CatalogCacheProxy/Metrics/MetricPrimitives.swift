import Synchronization

/// A monotonically increasing count, safe from any thread.
public final class Counter: Sendable {
    private let value = Atomic<Int>(0)
    public init() {}
    public func increment(by amount: Int = 1) { value.add(amount, ordering: .relaxed) }
    public var count: Int { value.load(ordering: .relaxed) }
}

/// A value that goes up and down (open connections, feed state).
public final class Gauge: Sendable {
    private let value = Atomic<Int>(0)
    public init() {}
    public func set(_ v: Int) { value.store(v, ordering: .relaxed) }
    public func add(_ v: Int) { value.add(v, ordering: .relaxed) }
    public var current: Int { value.load(ordering: .relaxed) }
}

/// Counts keyed by a fixed list of label values (e.g. error kinds).
public final class LabeledCounter: Sendable {
    private let counts: Mutex<[String: Int]>
    public init() { counts = Mutex([:]) }
    public func increment(_ label: String, by amount: Int = 1) { counts.withLock { $0[label, default: 0] += amount } }
    public func count(_ label: String) -> Int { counts.withLock { $0[label, default: 0] } }
    public var snapshot: [String: Int] { counts.withLock { $0 } }
}

/// A Prometheus histogram with fixed upper bounds in seconds.
///
/// Invariant: `buckets[i]` counts observations `<= bounds[i]` (non-cumulative storage,
/// rendered cumulatively); the last, implicit bucket is +Inf.
public final class Histogram: Sendable {
    public let bounds: [Double]
    private let state: Mutex<(buckets: [Int], sum: Double, count: Int)>

    public init(bounds: [Double] = Histogram.latencyBounds) {
        self.bounds = bounds
        self.state = Mutex((buckets: Array(repeating: 0, count: bounds.count + 1), sum: 0, count: 0))
    }

    /// 100 µs to 30 s.
    public static let latencyBounds: [Double] = [
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
    ]

    public func observe(_ seconds: Double) {
        var i = 0
        while i < bounds.count && seconds > bounds[i] { i += 1 }
        state.withLock { s in
            s.buckets[i] += 1
            s.sum += seconds
            s.count += 1
        }
    }

    public var snapshot: (buckets: [Int], sum: Double, count: Int) { state.withLock { $0 } }

    /// The upper bound of the bucket holding quantile `q` (0...1), or nil with no observations.
    public func quantileUpperBound(_ q: Double) -> Double? {
        let s = snapshot
        guard s.count > 0 else { return nil }
        let target = Int((Double(s.count) * q).rounded(.up))
        var seen = 0
        for (i, n) in s.buckets.enumerated() {
            seen += n
            if seen >= max(target, 1) { return i < bounds.count ? bounds[i] : .infinity }
        }
        return .infinity
    }
}
