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

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CatalogCacheCore

/// A monotonic clock in nanoseconds (`CLOCK_MONOTONIC`, a vDSO call: no system call).
public enum MonotonicClock {
    @inline(__always)
    public static func nanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}

/// A lock-free histogram over `LatencyBuckets` (10 µs to 30 s): one relaxed atomic add to
/// the bucket and one to the sum per observation, no lock and no allocation, so every event
/// loop can record into it on every request.
public final class LatencyHistogram: Sendable {
    private let buckets: InlineArray<24, Atomic<Int>>
    private let sumNanoseconds = Atomic<Int>(0)

    public init() {
        precondition(LatencyBuckets.count <= 24)
        buckets = InlineArray { _ in Atomic(0) }
    }

    @inline(__always)
    public func observe(nanoseconds: Int) {
        buckets[LatencyBuckets.index(nanoseconds: nanoseconds)].add(1, ordering: .relaxed)
        sumNanoseconds.add(nanoseconds, ordering: .relaxed)
    }

    /// Per-bucket counts (not cumulative; the last is +Inf) and the sum in seconds.
    public var snapshot: (counts: [Int], sumSeconds: Double) {
        let counts = (0..<LatencyBuckets.count).map { buckets[$0].load(ordering: .relaxed) }
        return (counts, Double(sumNanoseconds.load(ordering: .relaxed)) / 1e9)
    }
}

/// The hottest cache keys, sampled: one request in `sampleEvery` (a power of two) is
/// recorded into a Space-Saving table under a lock, so the other requests pay one multiply
/// and compare. The sample is chosen by mixing the request's end time (no shared counter to
/// contend on between event loops). Counts halve every `decayNanoseconds`, so the table
/// follows what is hot now rather than since start.
public final class HotKeyTracker: Sendable {
    public let sampleEvery: Int
    private let shift: UInt64
    private let decayNanoseconds: UInt64
    private let table: Mutex<(keys: SpaceSaving<String>, lastDecay: UInt64)>

    public init(sampleEvery: Int = 64, capacity: Int = 64, decaySeconds: Int = 10) {
        precondition(sampleEvery >= 1 && sampleEvery & (sampleEvery - 1) == 0, "a power of two")
        self.sampleEvery = sampleEvery
        shift = UInt64(64 - sampleEvery.trailingZeroBitCount)
        decayNanoseconds = UInt64(decaySeconds) * 1_000_000_000
        table = Mutex((SpaceSaving(capacity: capacity), MonotonicClock.nanoseconds()))
    }

    /// Whether the request that ended at `nanoseconds` is in the sample.
    @inline(__always)
    public func samples(_ nanoseconds: UInt64) -> Bool {
        sampleEvery == 1 || (nanoseconds &* 0x9E37_79B9_7F4A_7C15) >> shift == 0
    }

    public func record(_ key: String, now: UInt64) {
        table.withLock { t in
            if now &- t.lastDecay >= decayNanoseconds {
                t.keys.decay()
                t.lastDecay = now
            }
            t.keys.record(key)
        }
    }

    /// The heaviest keys; counts are samples (multiply by `sampleEvery` for requests).
    public func top(_ n: Int) -> [SpaceSaving<String>.Item] { table.withLock { $0.keys.top(n) } }
}

extension Histogram {
    /// Appends `h` in the Prometheus text format: cumulative buckets, `+Inf`, sum and count.
    static func render(_ out: inout String, _ name: String, _ help: String, _ h: Histogram) {
        let s = h.snapshot
        out += "# HELP \(name) \(help)\n# TYPE \(name) histogram\n"
        var cumulative = 0
        for (i, bound) in h.bounds.enumerated() {
            cumulative += s.buckets[i]
            out += "\(name)_bucket{le=\"\(bound)\"} \(cumulative)\n"
        }
        out += "\(name)_bucket{le=\"+Inf\"} \(s.count)\n\(name)_sum \(s.sum)\n\(name)_count \(s.count)\n"
    }
}
