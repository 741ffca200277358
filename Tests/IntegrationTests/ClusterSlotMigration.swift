import CatalogRedis
import NIOCore

/// Slots moved by hand between the primaries of the test cluster, by the steps of
/// `redis-cli --cluster reshard` (`SETSLOT IMPORTING` on the target, `MIGRATING` on the
/// source, `MIGRATE ... KEYS`, then `SETSLOT NODE` on every primary), split so a test can
/// run its commands between them: while a slot's keys are split between two nodes the source
/// answers `ASK` for the keys it no longer has and both answer `TRYAGAIN` to commands naming
/// keys of both; after `finish` the source answers `MOVED`.
///
/// Invariant: each slot moves from the primary serving it at `begin` to the next primary (by
/// node id), and `finish` leaves every primary agreeing that the target serves it.
struct ClusterSlotMigration {
    struct Node: Sendable, Equatable {
        let id: String
        let port: Int
    }

    private let primaries: [Node]
    private let moves: [Int: (source: Node, target: Node)]

    /// Sends `arguments` to the node on `port` (on loopback) on a connection of its own.
    @discardableResult
    static func send(_ port: Int, _ arguments: [String]) async throws -> RESPValue {
        let connection = try await RedisConnection.connect(configuration: RedisConfiguration(host: "127.0.0.1", port: port), on: TestServices.group.next()).get()
        defer { _ = connection.close() }
        return try await connection.send(RedisCommand(arguments: arguments)).get()
    }

    /// Marks `slots` importing on their targets and migrating on their sources; no key moves yet.
    static func begin(slots: Set<Int>, seedPort: Int) async throws -> ClusterSlotMigration {
        let text = try await send(seedPort, ["CLUSTER", "NODES"]).string ?? ""
        var primaries: [(node: Node, ranges: [ClosedRange<Int>])] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count >= 8, fields[2].contains("master"), !fields[2].contains("fail"),
                  let port = fields[1].split(separator: "@").first?.split(separator: ":").last.flatMap({ Int($0) })
            else { continue }
            let ranges = fields.dropFirst(8).filter { !$0.hasPrefix("[") }.compactMap { range -> ClosedRange<Int>? in
                let bounds = range.split(separator: "-").compactMap { Int($0) }
                return bounds.first.map { $0...(bounds.last ?? $0) }
            }
            primaries.append((Node(id: fields[0], port: port), ranges))
        }
        primaries.sort { $0.node.id < $1.node.id }
        var moves: [Int: (source: Node, target: Node)] = [:]
        for slot in slots {
            guard let index = primaries.firstIndex(where: { $0.ranges.contains { $0.contains(slot) } }) else {
                throw RedisError.clusterUnavailable("no primary serves slot \(slot)")
            }
            let (source, target) = (primaries[index].node, primaries[(index + 1) % primaries.count].node)
            try await send(target.port, ["CLUSTER", "SETSLOT", "\(slot)", "IMPORTING", source.id])
            try await send(source.port, ["CLUSTER", "SETSLOT", "\(slot)", "MIGRATING", target.id])
            moves[slot] = (source, target)
        }
        return ClusterSlotMigration(primaries: primaries.map(\.node), moves: moves)
    }

    /// The port of the primary `slot` moves to.
    func targetPort(of slot: Int) -> Int? { moves[slot]?.target.port }

    /// Moves `keys` of `slot` (those the source still has) to the target.
    func move(keys: [String], slot: Int) async throws {
        guard let move = moves[slot], !keys.isEmpty else { return }
        try await Self.send(move.source.port, ["MIGRATE", "127.0.0.1", "\(move.target.port)", "", "0", "5000", "KEYS"] + keys)
    }

    /// Moves every key left on the sources, then gives each slot to its target on every primary.
    func finish() async throws {
        for (slot, move) in moves {
            while true {
                let keys = (try await Self.send(move.source.port, ["CLUSTER", "GETKEYSINSLOT", "\(slot)", "100"]).array ?? []).compactMap(\.string)
                if keys.isEmpty { break }
                try await self.move(keys: keys, slot: slot)
            }
            try await Self.send(move.target.port, ["CLUSTER", "SETSLOT", "\(slot)", "NODE", move.target.id])
            try await Self.send(move.source.port, ["CLUSTER", "SETSLOT", "\(slot)", "NODE", move.target.id])
            for node in primaries where node != move.source && node != move.target {
                try await Self.send(node.port, ["CLUSTER", "SETSLOT", "\(slot)", "NODE", move.target.id])
            }
        }
    }
}
