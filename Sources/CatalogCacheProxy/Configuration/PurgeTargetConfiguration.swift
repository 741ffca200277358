import CatalogCacheCore

/// One edge the proxy purges (`cdn.targets[]`).
///
/// Invariant (checked by the loader): `url` parses as an upstream endpoint; a `fastly`
/// target has a `scope` (service id), a `cloudflare` target a `scope` (zone id); both have a
/// token or name an environment variable holding one.
public struct PurgeTargetConfiguration: Sendable, Equatable {
    public var name: String
    public var kind: PurgeProviderKind
    /// Base URL: the Varnish listener, the purge endpoint, or the provider's API base
    /// (`https://api.fastly.com`, `https://api.cloudflare.com/client/v4`).
    public var url: String
    /// Fastly's service id or Cloudflare's zone id.
    public var scope: String?
    public var token: String?
    /// Name of the environment variable holding the token (read when the proxy starts).
    public var tokenEnvironment: String?
    public var soft = false
    /// The header an `http` target reads the tags from.
    public var tagHeader = "Surrogate-Key"
    public var maxTagsPerRequest: Int
    public var timeoutMilliseconds = 5000

    public init(name: String, kind: PurgeProviderKind, url: String) {
        self.name = name
        self.kind = kind
        self.url = url
        self.maxTagsPerRequest = kind.defaultMaxTagsPerRequest
    }
}

/// The `cdn` section: where and how invalidations are purged at the edge.
public struct PurgeConfiguration: Sendable, Equatable {
    public var targets: [PurgeTargetConfiguration] = []
    public var windowMilliseconds = 10
    public var maxPendingTags = 10_000
    public var maxAttempts = 8
    public var initialBackoffMilliseconds = 100
    public var maxBackoffMilliseconds = 10_000

    public init() {}

    public func policy(for target: PurgeTargetConfiguration) -> PurgePolicy {
        PurgePolicy(
            windowMilliseconds: Int64(windowMilliseconds), maxTagsPerRequest: target.maxTagsPerRequest,
            maxPendingTags: maxPendingTags, maxAttempts: maxAttempts,
            initialBackoffMilliseconds: Int64(initialBackoffMilliseconds), maxBackoffMilliseconds: Int64(maxBackoffMilliseconds)
        )
    }
}

extension ProxyConfiguration {
    /// Every tag without placeholders, of routes and tables: every cached entry carries one,
    /// so dropping (or purging) them all drops everything.
    public var everyFixedTag: [String] {
        let routeTags = routes.flatMap(\.tags)
        let tableTags = tables.flatMap(\.mapping.tags)
        return Array(Set((routeTags + tableTags).filter { !$0.contains("{") })).sorted()
    }
}
