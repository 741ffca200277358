/// What a reload applies: every field `ConfigurationSchema` marks `.applied` (routes, caching
/// and header settings) is taken from the new file; every other field (sockets, the store, the
/// upstream pool, the invalidation feed, connection limits) keeps its running value and, when
/// the file changes it, is named.
///
/// Invariant: `effective` differs from `running` only in fields marked `.applied`; every other
/// schema field whose loaded value differs from the running one is in `keptForRestart`.
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
        self.effective = effective
        keptForRestart = kept
    }
}
