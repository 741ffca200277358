import Foundation

/// An error from libpq or from the server, always carrying a one-line message.
///
/// Invariant: `message` never contains a newline; server errors carry the five-character
/// SQLSTATE (`"23505"` unique violation, `"23503"` foreign-key violation, ...).
public enum PostgresError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The connection could not be established (bad URL, refused, authentication...).
    case connect(String)
    /// The server rejected a statement; `sqlState` is the SQLSTATE code when the server sent one.
    case server(sqlState: String?, message: String)
    /// The connection broke or libpq failed locally (out of memory, socket closed...).
    case connection(String)
    /// The pool was shut down, or its bounded wait queue is full.
    case poolUnavailable(String)

    /// SQLSTATE of a server error, nil otherwise.
    public var sqlState: String? {
        if case .server(let state, _) = self { return state }
        return nil
    }

    /// True for SQLSTATE 23505.
    public var isUniqueViolation: Bool { sqlState == "23505" }
    /// True for SQLSTATE 23503.
    public var isForeignKeyViolation: Bool { sqlState == "23503" }
    /// True for SQLSTATE 23514.
    public var isCheckViolation: Bool { sqlState == "23514" }

    public var message: String {
        switch self {
        case .connect(let m), .connection(let m), .poolUnavailable(let m): return m
        case .server(_, let m): return m
        }
    }

    public var description: String {
        switch self {
        case .connect(let m): return "postgres: cannot connect: \(m)"
        case .server(let state, let m): return "postgres: \(m)" + (state.map { " (SQLSTATE \($0))" } ?? "")
        case .connection(let m): return "postgres: connection error: \(m)"
        case .poolUnavailable(let m): return "postgres: pool unavailable: \(m)"
        }
    }

    /// Collapses libpq's multi-line messages ("ERROR:  x\nDETAIL: y\n") into one trimmed line.
    static func oneLine(_ raw: String) -> String {
        let parts = raw.split(whereSeparator: { $0 == "\n" || $0 == "\r" })
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        return parts.isEmpty ? "unknown error" : parts.joined(separator: "; ")
    }
}
