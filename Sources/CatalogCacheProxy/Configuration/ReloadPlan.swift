/// What a reload applies: every field `ConfigurationSchema` marks `.applied` (routes, caching
/// and header settings) is taken from the new file; every other field (sockets, the store, the
/// upstream pool, the invalidation feed, connection limits) keeps its running value and, when
/// the file changes it, is named.
///
/// Invariant: `effective` differs from `running` only in fields marked `.applied`; every other
/// schema field whose loaded value differs from the running one is in `keptForRestart`. A
/// route's sort ranges apply only with the running table rules that drop their places (else
/// they wait for a restart, named `routes[].entry_tags.sort.ranges`).
public struct ReloadPlan: Sendable {
    public var effective: ProxyConfiguration
    /// Settings the file changes that only a restart applies (their running values are kept).
    public var keptForRestart: [String]

    /// The settings a reload applies (the rest need a restart).
    public static var reloadable: [String] {
        ConfigurationSchema.fields.filter { $0.reload == .applied && $0.copy != nil }.map(\.path)
    }

    public init(running: ProxyConfiguration, loaded: ProxyConfiguration) {
        var effective = running
        var kept: [String] = []
        for field in ConfigurationSchema.fields {
            guard let copy = field.copy, let differs = field.differs else { continue }
            switch field.reload {
            case .applied: copy(loaded, &effective)
            case .restart: if differs(running, loaded) { kept.append(field.path) }
            }
        }
        // Routes apply now but table rules only at a restart: a route must not place pages on
        // an order whose places the running rules do not drop.
        let unmatched = effective.unmatchedSortRanges
        for (route, key, _) in unmatched {
            effective.entryTagging[route]?.sortRanges[key] = nil
        }
        if !unmatched.isEmpty { kept.append("routes[].entry_tags.sort.ranges") }
        self.effective = effective
        keptForRestart = kept
    }
}
