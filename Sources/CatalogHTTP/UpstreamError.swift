/// Why an upstream request failed. Nothing is ever retried: a request that fails after any
/// byte of it was written is reported, not re-sent, whatever its method.
public enum UpstreamError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The TCP connection could not be established (refused, unreachable, DNS failure).
    case connectFailed(String)
    /// The TCP connection was not established within `connectTimeout`.
    case connectTimeout
    /// No data from upstream for `readTimeout` while the response was pending.
    case readTimeout
    /// The request did not complete within `totalTimeout` (queueing included).
    case totalTimeout
    /// The connection closed or reset after the request was handed to it and before the
    /// response was complete. The request may have been processed upstream.
    case connectionClosedBeforeResponse
    /// The upstream sent something that is not a valid HTTP/1.x response.
    case malformedResponse(String)
    /// The request head could not be encoded (e.g. invalid header characters); nothing was sent.
    case invalidRequest(String)
    /// The response body exceeds `maxResponseBodySize`.
    case responseTooLarge
    /// The event loop's queue of waiting requests is full.
    case poolExhausted(maxQueued: Int)
    /// The pool was shut down before the request got a connection.
    case shutDown

    /// Timeouts map to 504 Gateway Timeout in the proxy, everything else to 502 Bad Gateway.
    public var isTimeout: Bool {
        switch self {
        case .connectTimeout, .readTimeout, .totalTimeout:
            return true
        case .connectFailed, .connectionClosedBeforeResponse, .malformedResponse, .invalidRequest,
            .responseTooLarge, .poolExhausted, .shutDown:
            return false
        }
    }

    public var description: String {
        switch self {
        case .connectFailed(let reason): return "upstream connect failed: \(reason)"
        case .connectTimeout: return "upstream connect timed out"
        case .readTimeout: return "upstream read timed out"
        case .totalTimeout: return "upstream request timed out"
        case .connectionClosedBeforeResponse: return "upstream closed the connection before a complete response"
        case .malformedResponse(let reason): return "malformed upstream response: \(reason)"
        case .invalidRequest(let reason): return "invalid upstream request: \(reason)"
        case .responseTooLarge: return "upstream response body too large"
        case .poolExhausted(let maxQueued): return "upstream pool exhausted (\(maxQueued) requests already queued)"
        case .shutDown: return "upstream pool shut down"
        }
    }
}
