@testable import CatalogHTTP
import NIOCore
import NIOHTTP1
import Testing

@Suite struct UpstreamRequestStateMachineTests {
    typealias Machine = UpstreamRequestStateMachine

    private func get(_ headers: HTTPHeaders = [:], method: HTTPMethod = .GET) -> HTTPRequestHead {
        HTTPRequestHead(version: .http1_1, method: method, uri: "/", headers: headers)
    }

    private func response(_ status: HTTPResponseStatus = .ok, _ headers: HTTPHeaders = [:]) -> HTTPResponseHead {
        HTTPResponseHead(version: .http1_1, status: status, headers: headers)
    }

    @Test func keepAliveResponseReturnsToIdle() {
        var machine = Machine(maxResponseBodySize: 100)
        #expect(machine.startRequest(get()) == .writeRequest)
        _ = machine.requestWritten()
        #expect(machine.receivedHead(response()) == .resetReadTimer)
        #expect(machine.receivedBodyPart(ByteBuffer(string: "ab")) == .resetReadTimer)
        let expected = UpstreamResponse(head: response(), body: ByteBuffer(string: "ab"))
        #expect(machine.receivedEnd() == .succeedRequest(expected, reuse: true))
        #expect(machine.isIdle)
    }

    @Test func connectionCloseResponseIsNotReused() {
        var machine = Machine(maxResponseBodySize: 100)
        _ = machine.startRequest(get())
        _ = machine.requestWritten()
        _ = machine.receivedHead(response(.ok, ["connection": "close"]))
        guard case .succeedRequest(_, let reuse) = machine.receivedEnd() else {
            Issue.record("expected success")
            return
        }
        #expect(!reuse)
        #expect(machine.isClosed)
    }

    @Test func requestAskingForCloseIsNotReused() {
        var machine = Machine(maxResponseBodySize: 100)
        _ = machine.startRequest(get(["Connection": "close"]))
        _ = machine.requestWritten()
        _ = machine.receivedHead(response())
        guard case .succeedRequest(_, let reuse) = machine.receivedEnd() else {
            Issue.record("expected success")
            return
        }
        #expect(!reuse)
    }

    @Test func earlyResponseBeforeRequestWasWrittenIsNotReused() {
        var machine = Machine(maxResponseBodySize: 100)
        _ = machine.startRequest(get(method: .POST))
        _ = machine.receivedHead(response(.payloadTooLarge))
        guard case .succeedRequest(let response, let reuse) = machine.receivedEnd() else {
            Issue.record("expected success")
            return
        }
        #expect(response.head.status == .payloadTooLarge)
        #expect(!reuse)
    }

    @Test func interimResponsesAreSkipped() {
        var machine = Machine(maxResponseBodySize: 100)
        _ = machine.startRequest(get(method: .POST))
        #expect(machine.receivedHead(response(.continue)) == .resetReadTimer)
        #expect(machine.receivedHead(response(.created)) == .resetReadTimer)
        guard case .succeedRequest(let response, _) = machine.receivedEnd() else {
            Issue.record("expected success")
            return
        }
        #expect(response.head.status == .created)
    }

    @Test func closeAfterRequestFailsEvenForGET() {
        var machine = Machine(maxResponseBodySize: 100)
        _ = machine.startRequest(get())
        _ = machine.requestWritten()
        _ = machine.receivedHead(response())
        #expect(machine.channelInactive() == .failRequest(.connectionClosedBeforeResponse))
        #expect(machine.isClosed)
    }

    @Test func declaredOrActualOversizeBodyFails() {
        var declared = Machine(maxResponseBodySize: 3)
        _ = declared.startRequest(get())
        #expect(declared.receivedHead(response(.ok, ["content-length": "4"])) == .failRequest(.responseTooLarge))

        var actual = Machine(maxResponseBodySize: 3)
        _ = actual.startRequest(get())
        _ = actual.receivedHead(response())
        #expect(actual.receivedBodyPart(ByteBuffer(string: "ab")) == .resetReadTimer)
        #expect(actual.receivedBodyPart(ByteBuffer(string: "cd")) == .failRequest(.responseTooLarge))

        var head = Machine(maxResponseBodySize: 3)
        _ = head.startRequest(get(method: .HEAD))
        #expect(head.receivedHead(response(.ok, ["content-length": "4000"])) == .resetReadTimer)
    }

    @Test func timeoutsOnlyAffectARequestInFlight() {
        var machine = Machine(maxResponseBodySize: 100)
        #expect(machine.readTimeoutFired() == .none)
        _ = machine.startRequest(get())
        #expect(machine.readTimeoutFired() == .failRequest(.readTimeout))
        #expect(machine.totalTimeoutFired() == .none)
    }

    @Test func unsolicitedDataOnIdleConnectionClosesIt() {
        var machine = Machine(maxResponseBodySize: 100)
        #expect(machine.receivedHead(response()) == .closeConnection)
        #expect(machine.isClosed)
    }
}
