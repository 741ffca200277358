/// The source of "now" for the proxy. The core never reads a clock itself: callers take the
/// time from a `CacheClock` and pass it in, so tests can control time exactly.
public protocol CacheClock: Sendable {
    /// Milliseconds since the Unix epoch.
    func nowMilliseconds() -> Int64
}
