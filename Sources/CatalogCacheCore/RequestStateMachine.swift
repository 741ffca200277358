/// The life of one request on the proxy port, in the manner of Varnish's `cache_req_fsm.c`:
/// one dispatcher for every kind of request, a value whose `mutating func`s take what just
/// happened and return what to do next. `RequestFlow` executes the actions (the fill's own
/// protocol is `FillStateMachine`); this type performs no I/O and reads no clock.
///
///     start ──bypass──────────────────────────────► passing ──► finished(.bypass)
///       ├──origin-controlled──► originControlled (RFC 9111) ──► finished(its outcome)
///       └──lookup──► lookingUp ──fresh──────────────────────► finished(.hit)
///                        ├──stale (swr)──► (background refresh) finished(.stale)
///                        └──absent/expired──► filling ──leader──► finished(.miss)
///                                                 └──follower──► finished(.coalesced)
///
/// Invariants: every request ends in exactly one `CacheOutcome`; an entry is only served
/// as `.hit` while fresh, as `.stale` inside its stale-while-revalidate window (or its
/// stale-if-error window when the upstream failed); the state machine never moves backwards.
public struct RequestStateMachine: Sendable {
    public enum State: Sendable, Equatable {
        case idle
        case passing(BypassReason)
        /// An origin-controlled route: the shared-cache rules of RFC 9111 decide.
        case originControlled(route: String)
        case lookingUp(key: String)
        /// A usable-on-error copy is remembered while the fill runs (stale-if-error).
        case filling(key: String, role: FillRole, staleFallback: Bool)
        case finished(CacheOutcome)
        case failed
    }

    public enum FillRole: Sendable, Equatable { case leader, follower }

    public enum Action: Sendable, Equatable {
        /// Answer 400: the path cannot be normalised safely.
        case rejectUnsafePath
        /// Forward to the upstream as is; never store the answer; count the reason.
        case pass(BypassReason)
        /// Serve as a shared cache (RFC 9111) on the origin-controlled route `route`.
        case serveOriginControlled(route: String)
        /// Read the entry under `key`.
        case lookup(key: String)
        /// Serve the entry just looked up; start one background refresh when asked.
        case serveEntry(CacheOutcome, refreshInBackground: Bool)
        /// Join the single flight for `key` (the coordinator decides leader or follower).
        case joinFill(key: String)
        /// Fetch from the upstream, store if storable, and answer.
        case fetchAndStore(key: String)
        /// Wait for the leader's fill.
        case awaitFill(key: String)
        /// Answer with what the fill produced.
        case respondFromFill(CacheOutcome)
        /// The fill result may not be shared (personalised or not storable): fetch alone.
        case fetchAlone
        /// Answer with the error status (502, or 504 for timeouts).
        case failUpstream(status: Int)
    }

    public private(set) var state: State = .idle

    public init() {}

    /// The outcome once finished; nil before.
    public var outcome: CacheOutcome? {
        if case .finished(let outcome) = state { return outcome }
        return nil
    }

    /// The request was classified; `key` is its cache key when cacheable.
    public mutating func start(_ classification: RequestClass, key: String?) -> Action {
        precondition(state == .idle, "start twice")
        switch classification {
        case .bypass(.unsafePath):
            state = .failed
            return .rejectUnsafePath
        case .bypass(let reason):
            state = .passing(reason)
            return .pass(reason)
        case .originControlled(let match, _):
            state = .originControlled(route: match.rule.name)
            return .serveOriginControlled(route: match.rule.name)
        case .cacheable:
            guard let key else { preconditionFailure("a cacheable request needs a key") }
            state = .lookingUp(key: key)
            return .lookup(key: key)
        }
    }

    /// The lookup answered. `entry` is nil when absent or undecodable.
    public mutating func lookupFinished(_ entry: EntryMetadata?, now: Int64) -> Action {
        guard case .lookingUp(let key) = state else { preconditionFailure("lookupFinished in \(state)") }
        guard let entry else {
            state = .filling(key: key, role: .leader, staleFallback: false)
            return .joinFill(key: key)
        }
        switch FreshnessPolicy.evaluate(entry, now: now) {
        case .fresh:
            state = .finished(.hit)
            return .serveEntry(.hit, refreshInBackground: false)
        case .stale:
            state = .finished(.stale)
            return .serveEntry(.stale, refreshInBackground: true)
        case .staleIfErrorOnly:
            state = .filling(key: key, role: .leader, staleFallback: true)
            return .joinFill(key: key)
        case .expired:
            state = .filling(key: key, role: .leader, staleFallback: false)
            return .joinFill(key: key)
        }
    }

    /// The store could not be read (Redis down or slow): fail open to the upstream.
    public mutating func lookupFailed() -> Action {
        guard case .lookingUp(let key) = state else { preconditionFailure("lookupFailed in \(state)") }
        state = .filling(key: key, role: .leader, staleFallback: false)
        return .joinFill(key: key)
    }

    /// The single-flight coordinator decided this request's role.
    public mutating func joined(as role: FillRole) -> Action {
        guard case .filling(let key, _, let fallback) = state else { preconditionFailure("joined in \(state)") }
        state = .filling(key: key, role: role, staleFallback: fallback)
        return role == .leader ? .fetchAndStore(key: key) : .awaitFill(key: key)
    }

    /// Too many waiters on one key: this request fetches on its own.
    public mutating func overflowed() -> Action {
        guard case .filling(let key, _, let fallback) = state else { preconditionFailure("overflowed in \(state)") }
        state = .filling(key: key, role: .leader, staleFallback: fallback)
        return .fetchAlone
    }

    /// The fill produced a response. `shareable` is false when it must not be served to
    /// other requests (not storable: personalised, an error status, too large).
    /// `servedByAnotherFill`: no upstream request was made, another fill had just stored the
    /// entry; the request then counts as coalesced even as a leader.
    public mutating func fillFinished(shareable: Bool, servedByAnotherFill: Bool = false) -> Action {
        guard case .filling(let key, let role, let fallback) = state else { preconditionFailure("fillFinished in \(state)") }
        if role == .follower && !shareable {
            state = .filling(key: key, role: .leader, staleFallback: fallback)
            return .fetchAlone
        }
        let outcome: CacheOutcome = role == .leader && !servedByAnotherFill ? .miss : .coalesced
        state = .finished(outcome)
        return .respondFromFill(outcome)
    }

    /// The fill failed. A stale-if-error copy is served when one was found.
    public mutating func fillFailed(isTimeout: Bool) -> Action {
        guard case .filling(_, _, let fallback) = state else { preconditionFailure("fillFailed in \(state)") }
        if fallback {
            state = .finished(.stale)
            return .serveEntry(.stale, refreshInBackground: false)
        }
        state = .failed
        return .failUpstream(status: isTimeout ? 504 : 502)
    }

    /// An origin-controlled request was answered with `outcome` (the RFC 9111 rules decided).
    public mutating func originControlledFinished(_ outcome: CacheOutcome) {
        guard case .originControlled = state else { preconditionFailure("originControlledFinished in \(state)") }
        state = .finished(outcome)
    }

    /// A passed request was answered (or failed): it counts as a bypass either way.
    public mutating func passFinished() {
        guard case .passing = state else { preconditionFailure("passFinished in \(state)") }
        state = .finished(.bypass)
    }
}
