import NIOConcurrencyHelpers

/// The fill-lock tokens of one instance: `<owner>.<random>`, and which of them its running
/// fills are asking for or hold right now.
///
/// Invariant: a lock held under this instance's owner name with a token not live here was
/// left behind (its release was lost to a Redis timeout) and is not waited for; one that is
/// live belongs to a fill still running here (an overflowing miss, or a fill started after an
/// invalidation detached the earlier one) and is waited for like a peer's.
final class FillLockTokens: Sendable {
    /// This instance's name in its tokens, random per process (kept across reloads).
    let owner: String
    private let prefix: String
    private let live = NIOLockedValueBox(Set<String>())

    init(owner: String = String(UInt64.random(in: 0...UInt64.max), radix: 36)) {
        self.owner = owner
        self.prefix = owner + "."
    }

    /// A new token, live until `forget`.
    func make() -> String {
        let token = prefix + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        live.withLockedValue { _ = $0.insert(token) }
        return token
    }

    /// The token no longer stands for a running fill (its lock was released, or never taken).
    func forget(_ token: String) {
        live.withLockedValue { _ = $0.remove(token) }
    }

    /// Whether `holder` is this instance's token that no running fill here holds.
    func isLeftBehind(_ holder: String) -> Bool {
        holder.hasPrefix(prefix) && !live.withLockedValue { $0.contains(holder) }
    }
}
