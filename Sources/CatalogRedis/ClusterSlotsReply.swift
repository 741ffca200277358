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

    /// The host names announced for nodes that are routed to by address: Redis 7 puts a
    /// node's metadata after its id (`[ip, port, id, {hostname: NAME}]`, RESP2: a flat array
    /// of pairs), with `hostname` when the node has `cluster-announce-hostname` set. A node
    /// routed to by its name (`cluster-preferred-endpoint-type hostname`) needs no entry.
    static func announcedHostnames(_ reply: RESPValue, askedHost: String) -> [ServerAddress: String] {
        var names: [ServerAddress: String] = [:]
        for range in reply.array ?? [] {
            for node in (range.array ?? []).dropFirst(2) {
                guard let fields = node.array, fields.count >= 4, var host = fields[0].string,
                      let port = fields[1].integer, let metadata = fields[3].array
                else { continue }
                if host.isEmpty || host == "?" { host = askedHost }
                var pairs = metadata[...]
                while pairs.count >= 2 {
                    let (key, value) = (pairs[pairs.startIndex].string, pairs[pairs.startIndex + 1].string)
                    pairs = pairs.dropFirst(2)
                    if key == "hostname", let value, !value.isEmpty, value != host {
                        names[ServerAddress(host: host, port: Int(port))] = value
                    }
                }
            }
        }
        return names
    }
}

extension ServerAddress {
    init(_ address: RedisAddress) { self.init(host: address.host, port: address.port) }
    var redisAddress: RedisAddress { RedisAddress(host: host, port: port) }
}
