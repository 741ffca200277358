/// Per-second rates from snapshots of monotonically increasing counters.
///
/// A window keeps the last `capacity` samples (time in milliseconds, counter values by
/// name); a rate is the difference between the newest sample and the oldest one inside the
/// requested span, divided by the time between them. A counter that went down (the process
/// restarted behind the same address) is counted from zero, as Prometheus's `rate` does.
public struct RateWindow: Sendable {
    public struct Sample: Sendable, Equatable {
        public var atMilliseconds: Int64
        public var values: [String: Int]
        public init(atMilliseconds: Int64, values: [String: Int]) {
            self.atMilliseconds = atMilliseconds
            self.values = values
        }
    }

    public let capacity: Int
    public private(set) var samples: [Sample] = []

    public init(capacity: Int = 64) {
        precondition(capacity >= 2)
        self.capacity = capacity
    }

    /// Adds a sample; one older than the newest is ignored.
    public mutating func add(_ sample: Sample) {
        if let last = samples.last, sample.atMilliseconds <= last.atMilliseconds { return }
        samples.append(sample)
        if samples.count > capacity { samples.removeFirst(samples.count - capacity) }
    }

    /// Rates per second over about the last `spanMilliseconds` (at least the last two samples);
    /// empty with fewer than two samples.
    public func rates(spanMilliseconds: Int64) -> [String: Double] {
        guard let newest = samples.last, samples.count >= 2 else { return [:] }
        var base = samples[samples.count - 2]
        for sample in samples.dropLast().reversed() {
            if newest.atMilliseconds - sample.atMilliseconds > spanMilliseconds { break }
            base = sample
        }
        return Self.perSecond(from: base, to: newest)
    }

    /// Rates between two samples of the same counters.
    public static func perSecond(from old: Sample, to new: Sample) -> [String: Double] {
        let seconds = Double(new.atMilliseconds - old.atMilliseconds) / 1000
        guard seconds > 0 else { return [:] }
        var out: [String: Double] = [:]
        for (name, value) in new.values {
            let previous = old.values[name] ?? 0
            let delta = value >= previous ? value - previous : value
            out[name] = Double(delta) / seconds
        }
        return out
    }
}
