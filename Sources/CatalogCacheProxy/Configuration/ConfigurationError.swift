/// A configuration problem, reported as one line naming the file, line and field.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String?
    public var line: Int?
    /// Dotted path of the offending field, e.g. `routes[1].ttl`.
    public var field: String
    public var message: String

    public init(file: String? = nil, line: Int? = nil, field: String, message: String) {
        self.file = file
        self.line = line
        self.field = field
        self.message = message
    }

    public var description: String {
        var location = file ?? "configuration"
        if let line { location += ":\(line)" }
        return field.isEmpty ? "\(location): \(message)" : "\(location): \(field): \(message)"
    }
}
