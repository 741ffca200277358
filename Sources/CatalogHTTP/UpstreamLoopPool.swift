import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// The executor of one event loop's ``UpstreamLoopPoolStateMachine``: it owns the waiting
/// requests' promises and timers and the connections' channels, and turns the machine's
/// actions into I/O.
///
/// Invariants:
/// - Every mutable property except `statsBox` is touched only on `eventLoop` (checked with
///   `assertInEventLoop`); that is what makes the `@unchecked Sendable` sound.
/// - The state machine is updated first, then its action is executed; executing an action
///   may feed new events to the machine (re-entrancy is safe because no state is held
///   across the call).
/// - A waiting request's promise is completed exactly once: by a lease (then the connection
///   handler owns it), a failure, or its total timeout.
final class UpstreamLoopPool: @unchecked Sendable {
    typealias Machine = UpstreamLoopPoolStateMachine

    private struct Waiter {
        var request: UpstreamRequest
        var deadline: NIODeadline
        var promise: EventLoopPromise<UpstreamResponse>
        var timer: Scheduled<Void>?
    }

    private struct Connection {
        var channel: any Channel
        var handler: UpstreamConnectionHandler
    }

    let eventLoop: any EventLoop
    private let endpoint: UpstreamEndpoint
    private let configuration: UpstreamPoolConfiguration
    private var machine: Machine
    private var waiters: [Machine.RequestID: Waiter] = [:]
    private var connections: [Machine.ConnectionID: Connection] = [:]
    private var nextRequestID: Machine.RequestID = 0
    private let shutdownPromise: EventLoopPromise<Void>
    private let statsBox = NIOLockedValueBox(UpstreamPoolStats())

    init(eventLoop: any EventLoop, endpoint: UpstreamEndpoint, configuration: UpstreamPoolConfiguration) {
        self.eventLoop = eventLoop
        self.endpoint = endpoint
        self.configuration = configuration
        self.machine = Machine(
            maxConnections: configuration.maxConnectionsPerEventLoop,
            maxIdle: configuration.maxIdleConnectionsPerEventLoop,
            maxQueued: configuration.maxQueuedRequestsPerEventLoop
        )
        self.shutdownPromise = eventLoop.makePromise()
    }

    /// Readable from any thread; updated after every event.
    var stats: UpstreamPoolStats { statsBox.withLockedValue { $0 } }

    /// Completes when the pool is shut down and every connection is closed.
    var shutdownFuture: EventLoopFuture<Void> { shutdownPromise.futureResult }

    // MARK: Entry points (on the loop)

    func execute(_ request: UpstreamRequest, deadline: NIODeadline, promise: EventLoopPromise<UpstreamResponse>) {
        eventLoop.assertInEventLoop()
        let id = nextRequestID
        nextRequestID += 1
        var prepared = request
        prepared.head = request.preparedHead(hostHeader: endpoint.hostHeader)
        waiters[id] = Waiter(request: prepared, deadline: deadline, promise: promise, timer: nil)
        let action = machine.execute(id)
        armTimeoutIfQueued(id, after: action)
        apply(action)
    }

    func shutdown() {
        eventLoop.assertInEventLoop()
        apply(machine.shutdown())
    }

    // MARK: Executing actions

    private func apply(_ action: Machine.Action) {
        statsBox.withLockedValue { $0 = machine.stats }
        for failure in action.fail {
            guard let waiter = waiters.removeValue(forKey: failure.request) else { continue }
            waiter.timer?.cancel()
            waiter.promise.fail(failure.error)
        }
        for id in action.close {
            connections[id]?.channel.close(promise: nil)
        }
        if let lease = action.lease {
            start(lease)
        }
        for id in action.create {
            connect(id)
        }
        if action.shutdownCompleted {
            shutdownPromise.succeed(())
        }
    }

    /// A request that `action` neither leases nor fails is queued: bound its wait by its
    /// total deadline.
    private func armTimeoutIfQueued(_ id: Machine.RequestID, after action: Machine.Action) {
        guard action.lease?.request != id, !action.fail.contains(where: { $0.request == id }),
            let waiter = waiters[id], waiter.timer == nil
        else { return }
        waiters[id]?.timer = eventLoop.assumeIsolated().scheduleTask(deadline: waiter.deadline) { [self] in
            self.waiters[id]?.timer = nil
            self.apply(self.machine.waiterTimedOut(id))
        }
    }

    private func start(_ lease: Machine.Action.Lease) {
        guard let connection = connections[lease.connection], connection.handler.isUsable else {
            // Closed while idle, before anything was written: not a retry, pick another.
            let action = machine.idleConnectionFoundClosed(lease.connection, for: lease.request)
            armTimeoutIfQueued(lease.request, after: action)
            apply(action)
            return
        }
        guard let waiter = waiters.removeValue(forKey: lease.request) else {
            preconditionFailure("lease for an unknown request")
        }
        waiter.timer?.cancel()
        connection.handler.execute(waiter.request, deadline: waiter.deadline, promise: waiter.promise)
    }

    private func connect(_ id: Machine.ConnectionID) {
        let configuration = self.configuration
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(configuration.connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try configuration.channelSetup?(channel)
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(
                        UpstreamConnectionHandler(
                            readTimeout: configuration.readTimeout,
                            idleTimeout: configuration.idleTimeout,
                            maxResponseBodySize: configuration.maxResponseBodySize
                        )
                    )
                }
            }
        bootstrap.connect(host: endpoint.host, port: endpoint.port).assumeIsolated().whenComplete { result in
            switch result {
            case .success(let channel):
                self.connected(id, channel: channel)
            case .failure(let error):
                self.apply(self.machine.connectionFailed(id, error: Self.connectError(error)))
            }
        }
    }

    private func connected(_ id: Machine.ConnectionID, channel: any Channel) {
        let handler: UpstreamConnectionHandler
        do {
            handler = try channel.pipeline.syncOperations.handler(type: UpstreamConnectionHandler.self)
        } catch {
            channel.close(promise: nil)
            apply(machine.connectionFailed(id, error: .connectFailed("pipeline: \(error)")))
            return
        }
        connections[id] = Connection(channel: channel, handler: handler)
        handler.onRequestDone = { reusable in
            self.apply(self.machine.connectionReleased(id, reusable: reusable))
        }
        channel.closeFuture.assumeIsolated().whenComplete { _ in
            self.connections[id] = nil
            self.apply(self.machine.connectionClosed(id))
        }
        if channel.isActive {
            apply(machine.connectionEstablished(id))
        } else {
            // Closed between connect and now: the close callback above already ran or will.
            connections[id] = nil
            apply(machine.connectionFailed(id, error: .connectFailed("closed right after connect")))
        }
    }

    private static func connectError(_ error: any Error) -> UpstreamError {
        if let error = error as? ChannelError, case .connectTimeout = error {
            return .connectTimeout
        }
        if let error = error as? NIOConnectionError {
            if error.connectionErrors.contains(where: { failure in
                if let channelError = failure.error as? ChannelError, case .connectTimeout = channelError {
                    return true
                }
                return false
            }) {
                return .connectTimeout
            }
            if let first = error.connectionErrors.first {
                return .connectFailed("\(first.target): \(first.error)")
            }
            if let dnsError = error.dnsAError ?? error.dnsAAAAError {
                return .connectFailed("\(error.host): \(dnsError)")
            }
            return .connectFailed("\(error.host):\(error.port): no addresses")
        }
        return .connectFailed(String(describing: error))
    }
}
