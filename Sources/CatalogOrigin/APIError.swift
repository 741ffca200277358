import CatalogHTTP
import NIOHTTP1

/// An error answered to the client as `{"error":"<code>","message":"..."}`.
///
/// Invariant: thrown before anything is written, or inside a transaction that it rolls back,
/// so a request that fails with an `APIError` has changed nothing.
public struct APIError: Error, Sendable, Equatable {
    public let status: HTTPResponseStatus
    public let code: String
    public let message: String

    public init(_ status: HTTPResponseStatus, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public static func invalid(_ message: String) -> APIError { APIError(.badRequest, "invalid_request", message) }
    public static func notFound(_ message: String) -> APIError { APIError(.notFound, "not_found", message) }
    public static func conflict(_ message: String) -> APIError { APIError(.conflict, "conflict", message) }

    public var response: HTTPServerResponse {
        HTTPServerResponse.error(status, code: code, message: message)
    }
}
