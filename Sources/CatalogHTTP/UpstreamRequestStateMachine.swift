import NIOCore
import NIOHTTP1

/// The life of one upstream connection, one request at a time (no pipelining).
///
/// `idle → sendingRequest → awaitingHead → receivingBody → idle` for a response after which
/// the connection may be reused, or `→ closed` for every other ending. A value type without
/// side effects: each event returns an ``Action`` that ``UpstreamConnectionHandler`` executes
/// after the state has been updated (so an action may re-enter the machine safely).
///
/// Invariants:
/// - At most one request is in flight; `startRequest` is only legal in `idle`.
/// - Every request that was started ends in exactly one `succeedRequest` or `failRequest`.
/// - `succeedRequest(reuse: true)` only when the request was fully written, the request did
///   not ask for `Connection: close` and the response head allows keep-alive; every other
///   ending leaves the machine `closed`, and `closed` is terminal.
struct UpstreamRequestStateMachine {
    /// What the handler must do after an event.
    enum Action: Equatable {
        case none
        /// Write the request (head, body, end) and flush; start the read and total timers.
        case writeRequest
        /// Reset the read timer: data arrived.
        case resetReadTimer
        /// Complete the request with the response; stop timers; keep the connection when
        /// `reuse`, otherwise close it.
        case succeedRequest(UpstreamResponse, reuse: Bool)
        /// Fail the request; stop timers; close the connection.
        case failRequest(UpstreamError)
        /// Close the connection; no request is affected.
        case closeConnection
    }

    private struct InFlight {
        var method: HTTPMethod
        var requestWantsClose: Bool
        var requestWritten: Bool
    }

    private enum State {
        case idle
        case sendingRequest(InFlight)
        case awaitingHead(InFlight)
        case receivingBody(InFlight, HTTPResponseHead, ByteBuffer)
        case closed
        /// Transient, never observable between events (avoids copy-on-write of the body).
        case modifying
    }

    private var state: State = .idle
    let maxResponseBodySize: Int

    init(maxResponseBodySize: Int) {
        self.maxResponseBodySize = maxResponseBodySize
    }

    var isIdle: Bool {
        if case .idle = state { return true }
        return false
    }

    var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    var hasRequestInFlight: Bool {
        switch state {
        case .sendingRequest, .awaitingHead, .receivingBody: return true
        case .idle, .closed, .modifying: return false
        }
    }

    /// A request is handed to this connection. Precondition: `isIdle`.
    mutating func startRequest(_ head: HTTPRequestHead) -> Action {
        guard case .idle = state else {
            preconditionFailure("request started on a connection that is not idle: \(state)")
        }
        let wantsClose = head.headers[canonicalForm: "connection"].contains { $0.lowercased() == "close" }
            || (head.version.major == 1 && head.version.minor == 0
                && !head.headers[canonicalForm: "connection"].contains { $0.lowercased() == "keep-alive" })
        state = .sendingRequest(InFlight(method: head.method, requestWantsClose: wantsClose, requestWritten: false))
        return .writeRequest
    }

    /// The last byte of the request was handed to the socket.
    mutating func requestWritten() -> Action {
        switch state {
        case .sendingRequest(var inFlight):
            inFlight.requestWritten = true
            state = .awaitingHead(inFlight)
        case .receivingBody(var inFlight, let head, let body):
            state = .modifying
            inFlight.requestWritten = true
            state = .receivingBody(inFlight, head, body)
        case .idle, .awaitingHead, .closed, .modifying:
            break
        }
        return .none
    }

    /// Writing the request failed (connection gone, or the head could not be encoded).
    mutating func requestWriteFailed(_ error: any Error) -> Action {
        guard hasRequestInFlight else { return .none }
        state = .closed
        if error is HTTPParserError {
            // The header validator rejected the head: nothing reached the socket.
            return .failRequest(.invalidRequest(String(describing: error)))
        }
        return .failRequest(.connectionClosedBeforeResponse)
    }

    /// A response head arrived. 1xx interim responses (other than 101) are skipped.
    mutating func receivedHead(_ head: HTTPResponseHead) -> Action {
        switch state {
        case .sendingRequest(let inFlight), .awaitingHead(let inFlight):
            let code = head.status.code
            if code == 101 {
                state = .closed
                return .failRequest(.malformedResponse("unexpected 101 Switching Protocols"))
            }
            if (100..<200).contains(code) {
                return .resetReadTimer
            }
            if inFlight.method != .HEAD, code != 204, code != 304,
                let lengthText = head.headers[canonicalForm: "content-length"].first,
                let length = Int(lengthText), length > maxResponseBodySize
            {
                state = .closed
                return .failRequest(.responseTooLarge)
            }
            state = .receivingBody(inFlight, head, ByteBuffer())
            return .resetReadTimer
        case .receivingBody:
            state = .closed
            return .failRequest(.malformedResponse("second response head"))
        case .idle:
            state = .closed
            return .closeConnection
        case .closed:
            return .none
        case .modifying:
            preconditionFailure("re-entered state machine")
        }
    }

    /// A piece of the response body arrived.
    mutating func receivedBodyPart(_ part: ByteBuffer) -> Action {
        switch state {
        case .receivingBody(let inFlight, let head, var body):
            state = .modifying
            if body.readableBytes + part.readableBytes > maxResponseBodySize {
                state = .closed
                return .failRequest(.responseTooLarge)
            }
            var part = part
            if body.readableBytes == 0 {
                body = part
            } else {
                body.writeBuffer(&part)
            }
            state = .receivingBody(inFlight, head, body)
            return .resetReadTimer
        case .sendingRequest, .awaitingHead:
            state = .closed
            return .failRequest(.malformedResponse("body before response head"))
        case .idle:
            state = .closed
            return .closeConnection
        case .closed:
            return .none
        case .modifying:
            preconditionFailure("re-entered state machine")
        }
    }

    /// The response is complete. `connectionClosing` is true when the end was detected by
    /// the connection closing (a read-until-close body).
    mutating func receivedEnd(connectionClosing: Bool = false) -> Action {
        switch state {
        case .receivingBody(let inFlight, let head, let body):
            let reuse = !connectionClosing && inFlight.requestWritten && !inFlight.requestWantsClose
                && head.isKeepAlive
            state = reuse ? .idle : .closed
            return .succeedRequest(UpstreamResponse(head: head, body: body), reuse: reuse)
        case .sendingRequest, .awaitingHead:
            state = .closed
            return .failRequest(.malformedResponse("response end before head"))
        case .idle:
            state = .closed
            return .closeConnection
        case .closed:
            return .none
        case .modifying:
            preconditionFailure("re-entered state machine")
        }
    }

    /// The connection is gone.
    mutating func channelInactive() -> Action {
        let wasInFlight = hasRequestInFlight
        state = .closed
        return wasInFlight ? .failRequest(.connectionClosedBeforeResponse) : .none
    }

    /// The pipeline reported an error (decoding or I/O).
    mutating func errorCaught(_ error: any Error) -> Action {
        let wasInFlight = hasRequestInFlight
        let wasClosed = isClosed
        state = .closed
        guard wasInFlight else { return wasClosed ? .none : .closeConnection }
        if let parserError = error as? HTTPParserError {
            if parserError == .invalidEOFState {
                return .failRequest(.connectionClosedBeforeResponse)
            }
            return .failRequest(.malformedResponse(String(describing: parserError)))
        }
        if Self.isConnectionLoss(error) {
            return .failRequest(.connectionClosedBeforeResponse)
        }
        return .failRequest(.malformedResponse(String(describing: error)))
    }

    /// No data for `readTimeout`.
    mutating func readTimeoutFired() -> Action {
        guard hasRequestInFlight else { return .none }
        state = .closed
        return .failRequest(.readTimeout)
    }

    /// The request's total deadline passed.
    mutating func totalTimeoutFired() -> Action {
        guard hasRequestInFlight else { return .none }
        state = .closed
        return .failRequest(.totalTimeout)
    }

    /// The idle timer fired, or the pool wants the connection gone.
    mutating func closeRequested() -> Action {
        switch state {
        case .idle:
            state = .closed
            return .closeConnection
        case .sendingRequest, .awaitingHead, .receivingBody, .closed, .modifying:
            return .none
        }
    }

    private static func isConnectionLoss(_ error: any Error) -> Bool {
        if error is IOError { return true }
        if let channelError = error as? ChannelError {
            switch channelError {
            case .ioOnClosedChannel, .alreadyClosed, .eof, .outputClosed, .inputClosed:
                return true
            default:
                return false
            }
        }
        return false
    }
}
