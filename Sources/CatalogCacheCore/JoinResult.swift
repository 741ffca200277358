/// What a request should do after `MissCoalescer.join`.
public enum JoinResult: Sendable, Equatable {
    /// First for this key: fetch from the upstream, then call `complete`.
    case leader
    /// A fetch is under way: wait to be returned by `complete`.
    case follower
    /// Too many are waiting already: go to the upstream without coalescing.
    case overflow
}
