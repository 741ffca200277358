/// What a cluster client does with one command after each failed attempt: the rules of
/// redirects and transient errors, as a value the shell drives.
///
/// Invariants:
/// - At most ``maxRedirects`` `MOVED`/`ASK` are followed, then the command fails: a
///   cluster whose nodes disagree cannot bounce a command forever.
/// - `TRYAGAIN`, `CLUSTERDOWN` and a node that could not be reached (the command was not
///   sent) are retried at most ``maxTransientRetries`` times, the n-th after
///   `baseDelayMilliseconds * 2^(n-1)` capped at ``maxDelayMilliseconds``, then it fails.
/// - Only failures where the command was NOT executed are retried: a connection lost after
///   the command was written is not an input here (the command may have run).
public struct ClusterCommandRetry: Sendable, Hashable {
    public enum Failure: Sendable, Hashable {
        case redirect(ClusterRedirect)
        /// The node could not be reached; the command was not sent.
        case unreachable(ServerAddress)
    }

    public enum Action: Sendable, Hashable {
        /// Send the command to `node` now (after `ASKING` when `asking`). `remember` is a
        /// slot move to record in the map at once; `refreshMap` asks for the whole map to be
        /// fetched again (in the background: the command does not wait for it).
        case send(to: ServerAddress, asking: Bool, remember: Move?, refreshMap: Bool)
        /// Route the command again by the slot map, after `delayMilliseconds`
        /// (a refreshed map first when `refreshMap`).
        case reroute(delayMilliseconds: Int, refreshMap: Bool)
        case fail(String)
    }

    public struct Move: Sendable, Hashable {
        public var slot: Int
        public var primary: ServerAddress
    }

    public let maxRedirects: Int
    public let maxTransientRetries: Int
    public let baseDelayMilliseconds: Int
    public let maxDelayMilliseconds: Int
    public private(set) var redirects = 0
    public private(set) var transientRetries = 0

    public init(maxRedirects: Int = 5, maxTransientRetries: Int = 6, baseDelayMilliseconds: Int = 25, maxDelayMilliseconds: Int = 800) {
        self.maxRedirects = maxRedirects
        self.maxTransientRetries = maxTransientRetries
        self.baseDelayMilliseconds = baseDelayMilliseconds
        self.maxDelayMilliseconds = maxDelayMilliseconds
    }

    /// The next step after `failure`.
    public mutating func next(after failure: Failure) -> Action {
        switch failure {
        case .redirect(.moved(let slot, let node)):
            redirects += 1
            guard redirects <= maxRedirects else { return .fail("more than \(maxRedirects) redirects (last: MOVED \(slot) \(node))") }
            return .send(to: node, asking: false, remember: Move(slot: slot, primary: node), refreshMap: true)
        case .redirect(.ask(let slot, let node)):
            redirects += 1
            guard redirects <= maxRedirects else { return .fail("more than \(maxRedirects) redirects (last: ASK \(slot) \(node))") }
            return .send(to: node, asking: true, remember: nil, refreshMap: false)
        case .redirect(.tryAgain):
            return transient("TRYAGAIN", refreshMap: false)
        case .redirect(.clusterDown):
            return transient("CLUSTERDOWN", refreshMap: true)
        case .unreachable(let node):
            return transient("\(node) unreachable", refreshMap: true)
        }
    }

    private mutating func transient(_ what: String, refreshMap: Bool) -> Action {
        transientRetries += 1
        guard transientRetries <= maxTransientRetries else {
            return .fail("\(what) after \(maxTransientRetries) retries")
        }
        let shift = min(transientRetries - 1, 20)
        let delay = min(maxDelayMilliseconds, baseDelayMilliseconds << shift)
        return .reroute(delayMilliseconds: delay, refreshMap: refreshMap)
    }
}
