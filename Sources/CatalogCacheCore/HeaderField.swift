/// One HTTP header field kept with a cache entry (e.g. `Last-Modified`, `Content-Language`).
public struct HeaderField: Sendable, Equatable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}
