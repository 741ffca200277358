/// How usable a stored entry is at a given moment (see `FreshnessPolicy.evaluate`).
public enum Freshness: Sendable, Equatable {
    /// Younger than its TTL: serve it.
    case fresh
    /// Past its TTL but within stale-while-revalidate: serve it and refresh it in the background.
    case stale
    /// Past stale-while-revalidate but within stale-if-error: serve it only if the upstream fails.
    case staleIfErrorOnly
    /// Past every window: treat as a miss.
    case expired
}
