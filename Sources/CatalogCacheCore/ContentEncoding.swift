/// The content coding of a stored or served body. The raw values are part of the stored
/// envelope format: never renumber them.
public enum ContentEncoding: UInt8, Sendable, CaseIterable {
    case identity = 0
    case gzip = 1

    /// The `Content-Encoding` header value, nil for identity (no header is sent).
    public var headerValue: String? {
        switch self {
        case .identity: nil
        case .gzip: "gzip"
        }
    }
}
