/// The connection pool of one event loop, as a value: which connections exist and in which
/// phase, which requests wait, in which order. It does no I/O; every event returns an
/// ``Action`` that ``UpstreamLoopPool`` executes after the state is updated.
///
/// Invariants (after every event):
/// - `connections.count <= maxConnections`; every connection is `connecting`, `idle` or
///   `leased`, and `idleStack` holds exactly the `idle` ones.
/// - `idleStack` is non-empty only when `waiters` is empty: a freed connection goes to the
///   oldest waiter first (FIFO), and a new request takes an idle connection when there is one.
/// - New connections are started only while `waiters.count > connecting` (each attempt has a
///   waiter to serve), and never once shut down.
/// - A request is leased at most one connection, once; the only re-lease is for a connection
///   found closed before anything was written (``idleConnectionFoundClosed(_:for:)``).
/// - A request is refused with `poolExhausted` only when no connection can be added and
///   `maxQueued` requests already wait beyond the pending connection attempts.
/// - After `shutdown()`, no request waits and `shutdownCompleted` is reported exactly once,
///   when the last connection is gone.
struct UpstreamLoopPoolStateMachine {
    typealias ConnectionID = Int
    typealias RequestID = Int

    /// What the executor must do, in this order: fail requests, close connections, start the
    /// lease, create connections, then report shutdown completion.
    struct Action: Equatable {
        var fail: [Failure] = []
        var close: [ConnectionID] = []
        var lease: Lease?
        var create: [ConnectionID] = []
        var shutdownCompleted = false

        struct Failure: Equatable {
            var request: RequestID
            var error: UpstreamError
        }

        struct Lease: Equatable {
            var connection: ConnectionID
            var request: RequestID
        }

        static let none = Action()
    }

    private enum Phase { case connecting, idle, leased }

    let maxConnections: Int
    let maxIdle: Int
    let maxQueued: Int

    private var connections: [ConnectionID: Phase] = [:]
    /// Idle connections, most recently used last (reused first, so surplus ones age out).
    private var idleStack: [ConnectionID] = []
    private var waiters: [RequestID] = []
    /// Index of the oldest waiter in `waiters`; the array is compacted when it gets sparse.
    private var waitersHead = 0
    private var connectingCount = 0
    private var nextConnectionID: ConnectionID = 0
    private var createdTotal = 0
    private var isShutDown = false
    private var shutdownReported = false

    init(maxConnections: Int, maxIdle: Int, maxQueued: Int) {
        precondition(maxConnections >= 1 && maxIdle >= 0 && maxQueued >= 0)
        self.maxConnections = maxConnections
        self.maxIdle = maxIdle
        self.maxQueued = maxQueued
    }

    var stats: UpstreamPoolStats {
        var stats = UpstreamPoolStats()
        stats.open = connections.count
        stats.connecting = connectingCount
        stats.idle = idleStack.count
        stats.inFlight = connections.count - connectingCount - idleStack.count
        stats.queued = waiterCount
        stats.createdTotal = createdTotal
        return stats
    }

    private var waiterCount: Int { waiters.count - waitersHead }

    // MARK: Events

    /// A new request wants a connection.
    mutating func execute(_ request: RequestID) -> Action {
        if isShutDown {
            return Action(fail: [.init(request: request, error: .shutDown)])
        }
        if let connection = idleStack.popLast() {
            connections[connection] = .leased
            return Action(lease: .init(connection: connection, request: request))
        }
        // Waiters that a pending connection attempt will serve do not count against the
        // queue limit; a request is refused only when it would wait beyond them.
        if connections.count >= maxConnections, waiterCount - connectingCount >= maxQueued {
            return Action(fail: [.init(request: request, error: .poolExhausted(maxQueued: maxQueued))])
        }
        waiters.append(request)
        return Action(create: connectionsToCreate())
    }

    /// The executor found the connection it was leased closed before writing anything: the
    /// connection is dropped and the request is placed again, at the front of the queue.
    mutating func idleConnectionFoundClosed(_ connection: ConnectionID, for request: RequestID) -> Action {
        if connections[connection] == .leased { connections[connection] = nil }
        if isShutDown {
            var action = Action(fail: [.init(request: request, error: .shutDown)])
            action.shutdownCompleted = checkShutdownCompleted()
            return action
        }
        if let next = idleStack.popLast() {
            connections[next] = .leased
            return Action(lease: .init(connection: next, request: request))
        }
        pushFrontWaiter(request)
        return Action(create: connectionsToCreate())
    }

    /// A connection attempt succeeded.
    mutating func connectionEstablished(_ connection: ConnectionID) -> Action {
        guard connections[connection] == .connecting else { return .none }
        connectingCount -= 1
        return connectionAvailable(connection)
    }

    /// A connection attempt failed. When more requests wait than attempts remain, the oldest
    /// waiter gets the error (each attempt is started on behalf of one waiter); the others
    /// stay queued and get attempts of their own.
    mutating func connectionFailed(_ connection: ConnectionID, error: UpstreamError) -> Action {
        guard connections[connection] == .connecting else { return .none }
        connections[connection] = nil
        connectingCount -= 1
        var action = Action()
        if waiterCount > connectingCount, let oldest = popFrontWaiter() {
            action.fail.append(.init(request: oldest, error: error))
        }
        action.create = connectionsToCreate()
        action.shutdownCompleted = checkShutdownCompleted()
        return action
    }

    /// A leased connection finished its request; `reusable` when it stays open.
    mutating func connectionReleased(_ connection: ConnectionID, reusable: Bool) -> Action {
        guard connections[connection] == .leased else { return .none }
        if reusable {
            return connectionAvailable(connection)
        }
        connections[connection] = nil
        var action = Action(create: connectionsToCreate())
        action.shutdownCompleted = checkShutdownCompleted()
        return action
    }

    /// A connection's channel closed (in any phase but connecting, which reports failure).
    mutating func connectionClosed(_ connection: ConnectionID) -> Action {
        switch connections[connection] {
        case .none, .connecting:
            return .none
        case .idle:
            idleStack.removeAll { $0 == connection }
        case .leased:
            break
        }
        connections[connection] = nil
        var action = Action(create: connectionsToCreate())
        action.shutdownCompleted = checkShutdownCompleted()
        return action
    }

    /// A waiting request's total deadline passed. No-op when it already has a connection.
    mutating func waiterTimedOut(_ request: RequestID) -> Action {
        guard let index = waiters[waitersHead...].firstIndex(of: request) else { return .none }
        waiters.remove(at: index)
        return Action(fail: [.init(request: request, error: .totalTimeout)])
    }

    /// Stop: fail the waiters, close idle connections; leased ones close when released.
    mutating func shutdown() -> Action {
        guard !isShutDown else { return .none }
        isShutDown = true
        var action = Action()
        while let request = popFrontWaiter() {
            action.fail.append(.init(request: request, error: .shutDown))
        }
        action.close = idleStack
        for connection in idleStack { connections[connection] = nil }
        idleStack.removeAll()
        action.shutdownCompleted = checkShutdownCompleted()
        return action
    }

    // MARK: Helpers

    private mutating func connectionAvailable(_ connection: ConnectionID) -> Action {
        if isShutDown {
            connections[connection] = nil
            var action = Action(close: [connection])
            action.shutdownCompleted = checkShutdownCompleted()
            return action
        }
        if let request = popFrontWaiter() {
            connections[connection] = .leased
            return Action(lease: .init(connection: connection, request: request))
        }
        if idleStack.count < maxIdle {
            connections[connection] = .idle
            idleStack.append(connection)
            return .none
        }
        connections[connection] = nil
        return Action(close: [connection])
    }

    private mutating func connectionsToCreate() -> [ConnectionID] {
        var created: [ConnectionID] = []
        while !isShutDown, waiterCount > connectingCount, connections.count < maxConnections {
            let id = nextConnectionID
            nextConnectionID += 1
            createdTotal += 1
            connectingCount += 1
            connections[id] = .connecting
            created.append(id)
        }
        return created
    }

    private mutating func popFrontWaiter() -> RequestID? {
        guard waitersHead < waiters.count else { return nil }
        let request = waiters[waitersHead]
        waitersHead += 1
        if waitersHead == waiters.count {
            waiters.removeAll(keepingCapacity: true)
            waitersHead = 0
        } else if waitersHead >= 64, waitersHead * 2 >= waiters.count {
            waiters.removeFirst(waitersHead)
            waitersHead = 0
        }
        return request
    }

    private mutating func pushFrontWaiter(_ request: RequestID) {
        if waitersHead > 0 {
            waitersHead -= 1
            waiters[waitersHead] = request
        } else {
            waiters.insert(request, at: 0)
        }
    }

    private mutating func checkShutdownCompleted() -> Bool {
        guard isShutDown, !shutdownReported, connections.isEmpty else { return false }
        shutdownReported = true
        return true
    }
}
