import CatalogRedis
import NIOCore

/// Direct, unrouted access to one cluster node, for tests that reshard or fail over.
enum ClusterAdmin {
    struct Node: Sendable {
        let id: String
        let address: RedisAddress
        let isPrimary: Bool
        /// The primary's id, for a replica.
        let primaryID: String?
    }

    /// Sends `arguments` to the node at `address` on a connection of its own. Commands sent
    /// together go back to back on that one connection (`ASKING` then a command).
    static func send(_ address: RedisAddress, _ commands: [RedisCommand]) async throws -> [Result<RESPValue, any Error>] {
        let connection = try await RedisConnection.connect(configuration: .generous(port: address.port), on: RedisTestEnvironment.group.any()).get()
        var results: [Result<RESPValue, any Error>] = []
        for command in commands {
            do { results.append(.success(try await connection.send(command).get())) } catch { results.append(.failure(error)) }
        }
        try? await connection.close().get()
        return results
    }

    static func send(_ address: RedisAddress, _ arguments: String...) async throws -> RESPValue {
        try await send(address, [RedisCommand(arguments: arguments)])[0].get()
    }

    /// The cluster's nodes as `address` sees them (`CLUSTER NODES`), failed ones left out.
    static func nodes(via address: RedisAddress) async throws -> [Node] {
        let text = try await send(address, "CLUSTER", "NODES").string ?? ""
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count >= 8, !fields[2].contains("fail"), !fields[2].contains("noaddr") else { return nil }
            let endpoint = fields[1].split(separator: "@")[0]
            guard let colon = endpoint.lastIndex(of: ":"), let port = Int(endpoint[endpoint.index(after: colon)...]) else { return nil }
            let isPrimary = fields[2].contains("master")
            return Node(
                id: String(fields[0]),
                address: RedisAddress(host: String(endpoint[..<colon]), port: port),
                isPrimary: isPrimary,
                primaryID: isPrimary ? nil : String(fields[3])
            )
        }
    }
}
