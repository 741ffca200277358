/// Background refreshes of entries served stale: at most `limit` run at once, and up to
/// `maxWaiting` more wait for a free slot in arrival order, one per key.
///
/// A refresh is work the client does not wait for (it already has the stale answer), so it
/// must not take the upstream from client misses: the running ones are bounded. But a
/// refresh that is dropped is not retried until the entry is asked for again, and a Zipf
/// tail entry asked for once in its stale window then expires and costs its next client a
/// miss; so the ones over the limit wait their turn instead, and only beyond `maxWaiting`
/// (a burst the upstream cannot absorb anyway) are they dropped.
///
/// Invariants: `running` is the number of `.start` answers of `submit` plus the jobs handed
/// out by `finish`, minus the `finish` calls, and never exceeds `limit`; a job waits only
/// while all `limit` slots are taken, so a free slot never sits beside a waiting job; at most
/// `maxWaiting` jobs wait, no two for the same key, and they leave in the order they came.
public struct RefreshQueue<Job: Sendable>: Sendable {
    public enum Submission: Sendable {
        /// A slot was free: run the job now (and call `finish` when it ends).
        case start
        /// Every slot is taken: the job waits; `finish` hands it out later.
        case queued
        /// A job for this key is already waiting: nothing to do.
        case alreadyWaiting
        /// Every slot is taken and `maxWaiting` jobs wait: the job is dropped.
        case full
    }

    public let limit: Int
    public let maxWaiting: Int
    public private(set) var running = 0
    /// Waiting jobs from `head` on (the ones before it were handed out).
    private var waiting: [(key: String, job: Job)] = []
    private var head = 0
    private var waitingKeys: Set<String> = []

    public init(limit: Int, maxWaiting: Int) {
        self.limit = max(0, limit)
        self.maxWaiting = max(0, maxWaiting)
    }

    public var waitingCount: Int { waiting.count - head }

    /// A refresh of `key` is wanted.
    public mutating func submit(key: String, job: Job) -> Submission {
        if running < limit {
            running += 1
            return .start
        }
        if waitingKeys.contains(key) { return .alreadyWaiting }
        guard waitingCount < maxWaiting else { return .full }
        waiting.append((key, job))
        waitingKeys.insert(key)
        return .queued
    }

    /// A running refresh ended (or could not start after all). Returns the next waiting job,
    /// which takes over its slot (run it, then `finish` again), or nil: the slot is free.
    public mutating func finish() -> (key: String, job: Job)? {
        precondition(running > 0, "finish() without a running refresh")
        guard head < waiting.count else {
            running -= 1
            return nil
        }
        let next = waiting[head]
        head += 1
        waitingKeys.remove(next.key)
        // Spent slots are dropped once they are half the array: amortised O(1) per job.
        if head * 2 >= waiting.count {
            waiting.removeFirst(head)
            head = 0
        }
        return next
    }

    /// Drops every waiting job (shutdown); the running ones still `finish`.
    public mutating func removeAllWaiting() {
        waiting.removeAll()
        head = 0
        waitingKeys.removeAll()
    }
}
