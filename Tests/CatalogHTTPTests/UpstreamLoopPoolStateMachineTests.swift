@testable import CatalogHTTP
import Testing

@Suite struct UpstreamLoopPoolStateMachineTests {
    typealias Machine = UpstreamLoopPoolStateMachine

    @Test func firstRequestCreatesAConnectionAndGetsIt() {
        var machine = Machine(maxConnections: 2, maxIdle: 2, maxQueued: 10)
        #expect(machine.execute(1) == Machine.Action(create: [0]))
        #expect(machine.connectionEstablished(0) == Machine.Action(lease: .init(connection: 0, request: 1)))
        #expect(machine.stats.inFlight == 1)
    }

    @Test func releasedConnectionIsReusedWithoutCreatingAnother() {
        var machine = Machine(maxConnections: 2, maxIdle: 2, maxQueued: 10)
        _ = machine.execute(1)
        _ = machine.connectionEstablished(0)
        #expect(machine.connectionReleased(0, reusable: true) == .none)
        #expect(machine.stats.idle == 1)
        #expect(machine.execute(2) == Machine.Action(lease: .init(connection: 0, request: 2)))
        #expect(machine.stats.createdTotal == 1)
    }

    @Test func neverExceedsMaxConnectionsAndServesWaitersFIFO() {
        var machine = Machine(maxConnections: 2, maxIdle: 2, maxQueued: 10)
        #expect(machine.execute(1).create == [0])
        #expect(machine.execute(2).create == [1])
        #expect(machine.execute(3) == .none)
        #expect(machine.execute(4) == .none)
        #expect(machine.stats.open == 2)
        #expect(machine.connectionEstablished(1).lease == .init(connection: 1, request: 1))
        #expect(machine.connectionEstablished(0).lease == .init(connection: 0, request: 2))
        #expect(machine.connectionReleased(0, reusable: true).lease == .init(connection: 0, request: 3))
        // A connection that is not reusable frees a slot: a new one is made for the waiter.
        #expect(machine.connectionReleased(1, reusable: false).create == [2])
        #expect(machine.connectionEstablished(2).lease == .init(connection: 2, request: 4))
        #expect(machine.stats.open == 2)
    }

    @Test func connectFailureFailsOldestWaiterOnly() {
        var machine = Machine(maxConnections: 1, maxIdle: 1, maxQueued: 10)
        _ = machine.execute(1)
        _ = machine.execute(2)
        let action = machine.connectionFailed(0, error: .connectFailed("refused"))
        #expect(action.fail == [.init(request: 1, error: .connectFailed("refused"))])
        #expect(action.create == [1])  // request 2 gets its own attempt
    }

    @Test func idleConnectionFoundClosedIsReplacedWithoutLosingTheRequest() {
        var machine = Machine(maxConnections: 1, maxIdle: 1, maxQueued: 10)
        _ = machine.execute(1)
        _ = machine.connectionEstablished(0)
        _ = machine.connectionReleased(0, reusable: true)
        #expect(machine.execute(2).lease == .init(connection: 0, request: 2))
        let action = machine.idleConnectionFoundClosed(0, for: 2)
        #expect(action == Machine.Action(create: [1]))
        #expect(machine.connectionEstablished(1).lease == .init(connection: 1, request: 2))
    }

    @Test func surplusIdleConnectionsAreClosed() {
        var machine = Machine(maxConnections: 2, maxIdle: 1, maxQueued: 10)
        _ = machine.execute(1)
        _ = machine.execute(2)
        _ = machine.connectionEstablished(0)
        _ = machine.connectionEstablished(1)
        #expect(machine.connectionReleased(0, reusable: true) == .none)
        #expect(machine.connectionReleased(1, reusable: true) == Machine.Action(close: [1]))
    }

    @Test func queueLimitAndWaiterTimeout() {
        var machine = Machine(maxConnections: 1, maxIdle: 1, maxQueued: 2)
        #expect(machine.execute(1).create == [0])  // waits for its own connection: not counted
        #expect(machine.execute(2) == .none)
        #expect(machine.execute(3) == .none)
        #expect(machine.execute(4).fail == [.init(request: 4, error: .poolExhausted(maxQueued: 2))])
        #expect(machine.waiterTimedOut(2).fail == [.init(request: 2, error: .totalTimeout)])
        #expect(machine.waiterTimedOut(2) == .none)
        #expect(machine.connectionEstablished(0).lease == .init(connection: 0, request: 1))
        #expect(machine.connectionReleased(0, reusable: true).lease == .init(connection: 0, request: 3))
    }

    @Test func shutdownFailsWaitersClosesIdleAndCompletesWhenLastConnectionGoes() {
        var machine = Machine(maxConnections: 2, maxIdle: 2, maxQueued: 10)
        _ = machine.execute(1)
        _ = machine.execute(2)
        _ = machine.connectionEstablished(0)  // leased to 1
        _ = machine.execute(3)  // waits (connection 1 still connecting serves 2)
        let action = machine.shutdown()
        #expect(action.fail.map(\.request) == [2, 3])
        #expect(action.fail.allSatisfy { $0.error == .shutDown })
        #expect(!action.shutdownCompleted)
        #expect(machine.execute(4).fail == [.init(request: 4, error: .shutDown)])
        #expect(machine.connectionEstablished(1) == Machine.Action(close: [1]))
        let last = machine.connectionReleased(0, reusable: true)
        #expect(last.close == [0])
        #expect(last.shutdownCompleted)
        #expect(machine.stats.open == 0)
    }

    @Test func closedIdleConnectionLeavesThePool() {
        var machine = Machine(maxConnections: 1, maxIdle: 1, maxQueued: 10)
        _ = machine.execute(1)
        _ = machine.connectionEstablished(0)
        _ = machine.connectionReleased(0, reusable: true)
        #expect(machine.connectionClosed(0) == .none)
        #expect(machine.stats.open == 0)
        #expect(machine.execute(2).create == [1])
    }
}
