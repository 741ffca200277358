/// How one purge target batches, bounds and retries its purges.
public struct PurgePolicy: Sendable, Equatable {
    /// Tags wait this long after the first of a batch arrived, so one commit's (and its
    /// neighbours') tags go out in one request.
    public var windowMilliseconds: Int64
    /// Tags in one request (Fastly allows 256 surrogate keys a request, Cloudflare 30 tags).
    public var maxTagsPerRequest: Int
    /// Tags waiting at most; beyond it the waiting tags are replaced by the fallback tags.
    public var maxPendingTags: Int
    /// Sends of one batch at most (the first included) before it is abandoned.
    public var maxAttempts: Int
    /// Wait before the first retry; doubled each retry up to `maxBackoffMilliseconds`.
    public var initialBackoffMilliseconds: Int64
    public var maxBackoffMilliseconds: Int64

    public init(windowMilliseconds: Int64 = 10, maxTagsPerRequest: Int = 256, maxPendingTags: Int = 10_000, maxAttempts: Int = 8, initialBackoffMilliseconds: Int64 = 100, maxBackoffMilliseconds: Int64 = 10_000) {
        self.windowMilliseconds = max(0, windowMilliseconds)
        self.maxTagsPerRequest = max(1, maxTagsPerRequest)
        self.maxPendingTags = max(1, maxPendingTags)
        self.maxAttempts = max(1, maxAttempts)
        self.initialBackoffMilliseconds = max(1, initialBackoffMilliseconds)
        self.maxBackoffMilliseconds = max(self.initialBackoffMilliseconds, maxBackoffMilliseconds)
    }

    /// The wait after the `attempt`-th send failed (1-based): initial, doubled, capped.
    public func backoff(afterAttempt attempt: Int) -> Int64 {
        var wait = initialBackoffMilliseconds
        var step = 1
        while step < attempt && wait < maxBackoffMilliseconds {
            wait *= 2
            step += 1
        }
        return min(wait, maxBackoffMilliseconds)
    }
}

/// One purge request's worth of tags.
public struct PurgeBatch: Sendable, Equatable {
    /// Distinct per scheduler, increasing: completions name the batch they are about.
    public let number: UInt64
    public let tags: [String]
    /// 1 for the first send, then one more per retry.
    public let attempt: Int
    /// When the oldest of its tags was enqueued (for the enqueued-to-purged latency).
    public let enqueuedAt: Int64

    public init(number: UInt64, tags: [String], attempt: Int, enqueuedAt: Int64) {
        self.number = number
        self.tags = tags
        self.attempt = attempt
        self.enqueuedAt = enqueuedAt
    }
}

/// The batching, de-duplication, bounding and retrying of one purge target, as a value:
/// the shell feeds it events with the current time and carries out the actions it returns.
///
/// - Tags are de-duplicated while they wait. A tag already sent is sent again when enqueued
///   again: the edge may have answered the earlier purge before this invalidation's local drop.
/// - At most one request is in flight; it is retried with doubling backoff until it succeeds,
///   is refused for good, or has been sent `maxAttempts` times (then it is abandoned).
/// - At most `maxPendingTags` wait. Enqueuing beyond that (or a tag that cannot be written in
///   a header) replaces the waiting tags by `fallbackTags`, which every cached entry carries
///   one of: a bounded queue that purges too much rather than too little.
///
/// Invariants: `pendingCount <= max(maxPendingTags, fallbackTags.count)`; no tag waits twice;
/// a `.send` follows only `enqueue`, `timerFired` or `completed`, never while another batch is
/// in flight; whenever tags wait or a retry is due, a timer is armed no later than when they
/// are due (or a request is in flight whose completion takes over).
public struct PurgeScheduler: Sendable {
    public enum Action: Sendable, Equatable {
        /// Call `timerFired` at (or soon after) this time. Earlier arms stay valid: extra
        /// fires are harmless.
        case armTimer(atMilliseconds: Int64)
        /// Send this batch, then call `completed` with its number.
        case send(PurgeBatch)
        /// The waiting tags overflowed (or one could not be sent): they were replaced by the
        /// fallback tags. `discarded`: waiting and incoming tags dropped (counted with repeats).
        case fellBack(discarded: Int)
        /// A batch was given up after its last attempt or a refusal.
        case abandoned(PurgeBatch)
        /// A batch was acknowledged by the target.
        case purged(PurgeBatch, latencyMilliseconds: Int64)
    }

    /// What became of a sent batch.
    public enum Outcome: Sendable, Equatable {
        case acknowledged
        /// Worth retrying: a transport error, 429 or 5xx.
        case failed
        /// Not worth retrying: the target refused the request (401, 403, 400, ...).
        case refused
    }

    public let policy: PurgePolicy
    public let fallbackTags: [String]
    private var pending: [String] = []
    private var pendingSet: Set<String> = []
    /// When the oldest waiting tag was enqueued; nil when none waits.
    private var pendingSince: Int64?
    /// The waiting tags are the fallback set: further tags are already covered.
    private var pendingIsFallback = false
    private var inFlight: PurgeBatch?
    /// The in-flight batch failed and is re-sent at this time.
    private var retryAt: Int64?
    /// The earliest timer armed and not yet fired.
    private var armedAt: Int64?
    private var nextNumber: UInt64 = 1

    public init(policy: PurgePolicy, fallbackTags: [String]) {
        self.policy = policy
        var seen = Set<String>()
        self.fallbackTags = fallbackTags.filter { PurgeScheduler.isSendable($0) && seen.insert($0).inserted }
    }

    public var pendingCount: Int { pending.count }
    public var isIdle: Bool { pending.isEmpty && inFlight == nil }

    /// A tag that can go in a purge request: visible ASCII without commas or quotes (headers
    /// separate tags by spaces or commas; Cloudflare's body is JSON).
    public static func isSendable(_ tag: String) -> Bool {
        !tag.isEmpty && tag.utf8.count <= 1024 && tag.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ",") && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
    }

    /// Tags the local cache has just dropped.
    public mutating func enqueue(_ tags: [String], now: Int64) -> [Action] {
        var actions: [Action] = []
        if !pendingIsFallback {
            for (index, tag) in tags.enumerated() where !pendingSet.contains(tag) {
                guard PurgeScheduler.isSendable(tag), pending.count < policy.maxPendingTags else {
                    actions.append(.fellBack(discarded: fallBack() + tags.count - index))
                    break
                }
                pending.append(tag)
                pendingSet.insert(tag)
            }
        }
        if !pending.isEmpty && pendingSince == nil { pendingSince = now }
        return actions + next(now: now)
    }

    /// A timer armed by `.armTimer` fired.
    public mutating func timerFired(now: Int64) -> [Action] {
        if let armed = armedAt, armed <= now { armedAt = nil }
        return next(now: now)
    }

    /// The request of batch `number` ended.
    public mutating func completed(_ number: UInt64, _ outcome: Outcome, now: Int64) -> [Action] {
        guard let batch = inFlight, batch.number == number, retryAt == nil else { return [] }
        switch outcome {
        case .acknowledged:
            inFlight = nil
            return [.purged(batch, latencyMilliseconds: max(0, now - batch.enqueuedAt))] + next(now: now)
        case .refused:
            inFlight = nil
            return [.abandoned(batch)] + next(now: now)
        case .failed:
            guard batch.attempt < policy.maxAttempts else {
                inFlight = nil
                return [.abandoned(batch)] + next(now: now)
            }
            retryAt = now + policy.backoff(afterAttempt: batch.attempt)
            return next(now: now)
        }
    }

    /// Replaces the waiting tags by the fallback tags; returns how many waiting tags that are
    /// not fallback tags were dropped.
    private mutating func fallBack() -> Int {
        let discarded = pending.filter { !fallbackTags.contains($0) }.count
        pending = fallbackTags
        pendingSet = Set(fallbackTags)
        pendingIsFallback = true
        return discarded
    }

    /// Sends what is due, else arms a timer for when it will be.
    private mutating func next(now: Int64) -> [Action] {
        if let batch = inFlight {
            guard let due = retryAt else { return [] }
            if now >= due {
                retryAt = nil
                let retry = PurgeBatch(number: batch.number, tags: batch.tags, attempt: batch.attempt + 1, enqueuedAt: batch.enqueuedAt)
                inFlight = retry
                return [.send(retry)]
            }
            return arm(at: due)
        }
        guard let since = pendingSince, !pending.isEmpty else {
            pendingSince = nil
            return []
        }
        let due = since + policy.windowMilliseconds
        guard now >= due else { return arm(at: due) }
        let count = min(policy.maxTagsPerRequest, pending.count)
        let tags = Array(pending.prefix(count))
        pending.removeFirst(count)
        for tag in tags { pendingSet.remove(tag) }
        // Part of the fallback is on its way: a tag enqueued from now on is not covered by it.
        pendingIsFallback = false
        if pending.isEmpty { pendingSince = nil }
        let batch = PurgeBatch(number: nextNumber, tags: tags, attempt: 1, enqueuedAt: since)
        nextNumber += 1
        inFlight = batch
        return [.send(batch)]
    }

    private mutating func arm(at time: Int64) -> [Action] {
        if let armed = armedAt, armed <= time { return [] }
        armedAt = time
        return [.armTimer(atMilliseconds: time)]
    }
}
