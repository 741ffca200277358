import CatalogCacheCore
import NIOCore
@testable import CatalogRedis
import Testing

/// Which name a TLS connection to a cluster node verifies: the configured server name, else
/// the host name the node announces in `CLUSTER SLOTS`, else the host when it is a name (an
/// address is checked against the certificate's IP entries).
@Suite struct ClusterNodeNamesTests {
    /// A Redis 7 `CLUSTER SLOTS` reply (RESP2): the first range's primary announces a name,
    /// its replica none; the second range is routed by host name already.
    static let reply = RESPValue.array([
        .array([.integer(0), .integer(8191),
                .array([.bulkString(ByteBuffer(string: "10.0.0.1")), .integer(6379), .bulkString(ByteBuffer(string: "id1")), .array([.bulkString(ByteBuffer(string: "hostname")), .bulkString(ByteBuffer(string: "node1.shop.example"))])]),
                .array([.bulkString(ByteBuffer(string: "10.0.0.2")), .integer(6379), .bulkString(ByteBuffer(string: "id2")), .array([])])]),
        .array([.integer(8192), .integer(16383),
                .array([.bulkString(ByteBuffer(string: "node3.shop.example")), .integer(6380), .bulkString(ByteBuffer(string: "id3")), .array([.bulkString(ByteBuffer(string: "ip")), .bulkString(ByteBuffer(string: "10.0.0.3")), .bulkString(ByteBuffer(string: "hostname")), .bulkString(ByteBuffer(string: "node3.shop.example"))])]),
                .array([.bulkString(ByteBuffer(string: "")), .integer(6381), .bulkString(ByteBuffer(string: "id4")), .array([.bulkString(ByteBuffer(string: "hostname")), .bulkString(ByteBuffer(string: "node4.shop.example"))])])]),
    ])

    @Test func announcedHostnames_areReadForNodesRoutedByAddress() {
        let names = ClusterSlotsReply.announcedHostnames(Self.reply, askedHost: "10.0.0.9")
        #expect(names == [
            ServerAddress(host: "10.0.0.1", port: 6379): "node1.shop.example",
            ServerAddress(host: "10.0.0.9", port: 6381): "node4.shop.example",
        ])
        // A Redis 6 reply (no metadata) names nothing.
        let old = RESPValue.array([.array([.integer(0), .integer(16383), .array([.bulkString(ByteBuffer(string: "10.0.0.1")), .integer(6379), .bulkString(ByteBuffer(string: "id1"))])])])
        #expect(ClusterSlotsReply.announcedHostnames(old, askedHost: "x").isEmpty)
    }

    @Test func verifiedName_prefersServerNameThenAnnouncedThenHost() throws {
        let names = ClusterNodeNames()
        names.replace(with: ClusterSlotsReply.announcedHostnames(Self.reply, askedHost: "10.0.0.9"))
        let announced = RedisAddress(host: "10.0.0.1", port: 6379)
        let silent = RedisAddress(host: "10.0.0.2", port: 6379)
        let byName = RedisAddress(host: "node3.shop.example", port: 6380)
        let plain = try RedisConnector(configuration: RedisConfiguration.parse(url: "rediss-cluster://10.0.0.1:6379"))
        #expect(plain.forNode(announced, names: names).verifiedName(for: announced) == "node1.shop.example")
        #expect(plain.forNode(silent, names: names).verifiedName(for: silent) == nil)
        #expect(plain.forNode(byName, names: names).verifiedName(for: byName) == "node3.shop.example")
        var configured = try RedisConfiguration.parse(url: "rediss-cluster://10.0.0.1:6379")
        configured.tls?.serverName = "clustercfg.shop.example"
        let named = try RedisConnector(configuration: configured)
        #expect(named.forNode(announced, names: names).verifiedName(for: announced) == "clustercfg.shop.example")
        #expect(named.forNode(silent, names: names).verifiedName(for: silent) == "clustercfg.shop.example")
        names.replace(with: [:])
        #expect(plain.forNode(announced, names: names).verifiedName(for: announced) == nil)
    }
}
