import CatalogCacheCore
import NIOConcurrencyHelpers

/// The host names a Redis Cluster announces for its nodes (`cluster-announce-hostname`,
/// the `hostname` of a node in `CLUSTER SLOTS`) while it routes clients to their addresses:
/// a TLS connection to such a node verifies its certificate against this name.
///
/// Invariant: holds the names of the last fetched slot map only (a node that stops
/// announcing a name, or leaves, is dropped on the next fetch); shared by every event loop's
/// pools, so reads and the replacement take a lock.
final class ClusterNodeNames: Sendable {
    private let names = NIOLockedValueBox<[ServerAddress: String]>([:])

    /// The name `node` announced in the last fetched map, if any.
    func hostname(of node: ServerAddress) -> String? {
        names.withLockedValue { $0[node] }
    }

    /// Replaces every name by those of a newly fetched map.
    func replace(with fetched: [ServerAddress: String]) {
        names.withLockedValue { $0 = fetched }
    }
}
