/// Whether an instance can serve correctly, from what it knows of its dependencies: the rule
/// behind `/readyz`.
///
/// Ready means: not draining (a SIGTERM was received), the store answers, and the
/// invalidation feed is within its staleness policy: listening, not configured, or not
/// listening for at most `invalidation.feed_down_max_age_s` when that bound is set (past
/// it, every entry this instance holds may have been invalidated unseen). Without the bound
/// TTLs alone bound staleness, so a feed that is down is reported, not a reason to be unready.
///
/// The upstream's health is reported and never makes the instance unready: hits and stale
/// copies are still served while it is down, and every instance shares the same upstream, so
/// taking them out of a load balancer would turn an origin outage into a total one.
public struct ReadinessRule: Sendable, Equatable {
    public var draining: Bool
    public var storeUp: Bool
    /// nil: no feed configured.
    public var feedListening: Bool?
    /// How long the feed has not been listening, in milliseconds (nil while listening).
    public var feedDownMilliseconds: Int64?
    /// `invalidation.feed_down_max_age_s`; nil when unset.
    public var feedDownMaxAgeSeconds: Int?

    public init(draining: Bool, storeUp: Bool, feedListening: Bool?, feedDownMilliseconds: Int64?, feedDownMaxAgeSeconds: Int?) {
        self.draining = draining
        self.storeUp = storeUp
        self.feedListening = feedListening
        self.feedDownMilliseconds = feedDownMilliseconds
        self.feedDownMaxAgeSeconds = feedDownMaxAgeSeconds
    }

    /// The reasons the instance is not ready, in a fixed order; empty when ready.
    public var unreadyReasons: [String] {
        var reasons: [String] = []
        if draining { reasons.append("draining") }
        if !storeUp { reasons.append("store_down") }
        if feedListening == false, let limit = feedDownMaxAgeSeconds, (feedDownMilliseconds ?? 0) > Int64(limit) * 1000 {
            reasons.append("feed_down_beyond_policy")
        }
        return reasons
    }

    public var isReady: Bool { unreadyReasons.isEmpty }
}
