/// The error replies by which a Redis Cluster node says a command must go elsewhere or later.
///
/// - `MOVED <slot> <host>:<port>`: the slot now lives on that node for good.
/// - `ASK <slot> <host>:<port>`: the slot is being migrated and this key is already on the
///   target: send `ASKING` then the command there, once, and keep the slot map as it is.
/// - `TRYAGAIN ...`: a multi-key command during a migration; retry later.
/// - `CLUSTERDOWN ...`: the cluster cannot serve this slot now (failover in progress).
public enum ClusterRedirect: Sendable, Hashable {
    case moved(slot: Int, to: ServerAddress)
    case ask(slot: Int, to: ServerAddress)
    case tryAgain
    case clusterDown

    /// The redirect's kind as a metric label: `moved`, `ask`, `tryagain` or `clusterdown`.
    public var kind: String {
        switch self {
        case .moved: "moved"
        case .ask: "ask"
        case .tryAgain: "tryagain"
        case .clusterDown: "clusterdown"
        }
    }

    /// The redirect an error reply's message (without the leading `-`) carries, or nil for any
    /// other error. A node that does not know its own address announces `:<port>`; the host
    /// is then `replyingHost`, the node that sent the reply.
    public static func parse(_ message: String, replyingHost: String) -> ClusterRedirect? {
        if message.hasPrefix("TRYAGAIN") { return .tryAgain }
        if message.hasPrefix("CLUSTERDOWN") { return .clusterDown }
        let words = message.split(separator: " ", omittingEmptySubsequences: true)
        guard words.count == 3, words[0] == "MOVED" || words[0] == "ASK",
              let slot = Int(words[1]), (0..<ClusterKeySlot.count).contains(slot),
              let colon = words[2].lastIndex(of: ":"),
              let port = Int(words[2][words[2].index(after: colon)...]), (1...65535).contains(port)
        else { return nil }
        var host = String(words[2][..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.isEmpty { host = replyingHost }
        let node = ServerAddress(host: host, port: port)
        return words[0] == "MOVED" ? .moved(slot: slot, to: node) : .ask(slot: slot, to: node)
    }
}
