/// A route configuration that cannot be used: a malformed path pattern or key template, or a
/// rule whose parts are inconsistent. `message` says what is wrong, for the operator.
public struct RouteError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
