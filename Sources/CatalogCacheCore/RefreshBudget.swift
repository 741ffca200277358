/// How many background refreshes (of entries served stale) may run at once.
///
/// A refresh is optional work: the client was already answered with the stale entry, and the
/// next request for it tries again. So when a burst of stale entries (say, a whole catalog
/// past its TTL at once) would start more refreshes than the upstream can take, the ones over
/// the limit are skipped rather than queued, and client misses never wait behind them.
///
/// Invariant: `inFlight` is the number of `tryStart()` calls that answered true minus the
/// `finish()` calls, and never exceeds `limit`.
public struct RefreshBudget: Sendable, Equatable {
    public let limit: Int
    public private(set) var inFlight = 0

    public init(limit: Int) {
        self.limit = max(0, limit)
    }

    /// Takes a slot for one refresh; false (nothing taken) when all `limit` are in use.
    public mutating func tryStart() -> Bool {
        guard inFlight < limit else { return false }
        inFlight += 1
        return true
    }

    /// Gives back the slot of a refresh that `tryStart()` let start.
    public mutating func finish() {
        precondition(inFlight > 0, "finish() without a started refresh")
        inFlight -= 1
    }
}
