import CatalogCacheCore
import Synchronization

/// A `CacheClock` that only moves when told to, for tests: time-dependent rules are tested by
/// moving it, never by sleeping. Thread-safe: every read and move is under one lock.
@available(macOS 15.0, iOS 18.0, tvOS 18.0, watchOS 11.0, visionOS 2.0, *)
public final class ManualClock: CacheClock {
    private let now: Mutex<Int64>

    public init(milliseconds: Int64 = 0) {
        now = Mutex(milliseconds)
    }

    public func nowMilliseconds() -> Int64 {
        now.withLock { $0 }
    }

    /// Moves the clock by `delta` milliseconds (negative moves it backwards).
    public func advance(byMilliseconds delta: Int64) {
        now.withLock { $0 += delta }
    }

    /// Moves the clock by whole seconds.
    public func advance(bySeconds seconds: Int64) {
        advance(byMilliseconds: seconds * 1000)
    }

    /// Sets the clock.
    public func set(milliseconds: Int64) {
        now.withLock { $0 = milliseconds }
    }
}
