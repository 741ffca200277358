/// One event loop's admission rule for requests that cost I/O (a Redis call or an upstream
/// fetch): when the loop already has too many of them in progress, new reads are refused
/// (`503` with `Retry-After`) instead of being queued behind the others until Redis calls
/// time out and the serve path fails open to the origin.
///
/// A request is *in progress* from its admission until its response is handed to the
/// connection. Requests answered at once (fresh hot-tier hits) are admitted and finished in
/// the same step, so they never hold a slot.
///
/// Hysteresis: shedding starts when `maxInProgress` requests are in progress and stops only
/// when in progress have fallen to `resumeAt` (three quarters of the bound), so the loop does
/// not flap between admitting and refusing on every response.
///
/// Invariants:
/// - a read is shed exactly while `isShedding`; a hot-tier hit and a write never are;
/// - reads alone never take `inProgress` above `maxInProgress` (writes may: they are always
///   admitted, and their slots make reads shed sooner);
/// - `inProgress` is never negative: `finished()` without an admission is a precondition
///   failure.
public struct LoadShedder: Sendable, Equatable {
    /// What an arriving request would cost, as far as admission cares.
    public enum Request: Sendable, Equatable {
        /// A fresh hot-tier hit: answered from memory, no I/O.
        case hotTierHit
        /// A GET or HEAD (or other safe method) that needs Redis or the origin.
        case read
        /// An unsafe method. Never shed: shedding one is only safe before it was forwarded, and
        /// a client that sent a write is better served by the origin's own answer.
        case write
    }

    public enum Decision: Sendable, Equatable {
        /// Serve it; call `finished()` once its response is handed to the connection.
        case admit
        /// Answer `503` with `Retry-After` at once; nothing was forwarded or looked up.
        case shed
    }

    /// In progress at which reads start being shed (at least 1).
    public private(set) var maxInProgress: Int
    /// In progress at or below which shedding stops: `maxInProgress * 3 / 4`.
    public private(set) var resumeAt: Int
    /// Admitted requests not yet finished.
    public private(set) var inProgress = 0
    /// Whether a read arriving now is shed.
    public private(set) var isShedding = false
    /// Times shedding started (episodes of overload).
    public private(set) var sheddingEpisodes = 0

    public init(maxInProgress: Int) {
        precondition(maxInProgress >= 1, "maxInProgress must be at least 1")
        self.maxInProgress = maxInProgress
        self.resumeAt = Self.threeQuarters(maxInProgress)
    }

    /// Whether `decide(.read)` would shed now: only then does the caller need to find out
    /// whether a read is a hot-tier hit (`Request.hotTierHit`).
    public var shedsReads: Bool { isShedding || inProgress >= maxInProgress }

    /// Decides one arriving request; an admitted one is counted in progress.
    public mutating func decide(_ request: Request) -> Decision {
        if inProgress >= maxInProgress { startShedding() }
        switch request {
        case .read where isShedding:
            return .shed
        case .read, .hotTierHit, .write:
            inProgress += 1
            if inProgress >= maxInProgress { startShedding() }
            return .admit
        }
    }

    /// An admitted request's response was handed to the connection.
    public mutating func finished() {
        precondition(inProgress > 0, "finished() without an admitted request")
        inProgress -= 1
        if isShedding && inProgress <= resumeAt { isShedding = false }
    }

    /// ⌊3n/4⌋ without overflow (`Int.max` is the bound of a shedder that never sheds).
    public static func threeQuarters(_ n: Int) -> Int {
        n / 4 * 3 + n % 4 * 3 / 4
    }

    /// A new bound (a reload); the requests in progress stay counted.
    public mutating func adopt(maxInProgress: Int) {
        precondition(maxInProgress >= 1, "maxInProgress must be at least 1")
        self.maxInProgress = maxInProgress
        self.resumeAt = Self.threeQuarters(maxInProgress)
        if inProgress >= maxInProgress {
            startShedding()
        } else if isShedding && inProgress <= resumeAt {
            isShedding = false
        }
    }

    private mutating func startShedding() {
        guard !isShedding else { return }
        isShedding = true
        sheddingEpisodes += 1
    }
}
