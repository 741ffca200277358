import CatalogCacheCore

/// Reading `CLUSTER SLOTS` into a ``ClusterSlotMap``.
enum ClusterSlotsReply {
    /// Each element is `[first, last, [host, port, id, ...], replicas...]`; only the primary
    /// (the first node) is kept. A node announcing no host (`""` or `"?"`) is reached at
    /// `askedHost`, the host of the node that answered.
    static func slotMap(_ reply: RESPValue, askedHost: String) throws(RedisError) -> ClusterSlotMap {
        guard let ranges = reply.array else { throw .unexpectedReply("CLUSTER SLOTS: \(reply)") }
        var parsed: [(first: Int, last: Int, primary: ServerAddress)] = []
        for range in ranges {
            guard let fields = range.array, fields.count >= 3,
                  let first = fields[0].integer, let last = fields[1].integer,
                  let node = fields[2].array, node.count >= 2,
                  var host = node[0].string, let port = node[1].integer
            else { throw .unexpectedReply("CLUSTER SLOTS entry: \(range)") }
            if host.isEmpty || host == "?" { host = askedHost }
            parsed.append((Int(first), Int(last), ServerAddress(host: host, port: Int(port))))
        }
        return ClusterSlotMap(ranges: parsed)
    }
}

extension ServerAddress {
    init(_ address: RedisAddress) { self.init(host: address.host, port: address.port) }
    var redisAddress: RedisAddress { RedisAddress(host: host, port: port) }
}
