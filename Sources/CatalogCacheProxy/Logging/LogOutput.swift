import Foundation
import CatalogCacheCore
import CatalogHTTP
import Logging
import Synchronization

/// How `catalog-cache serve` writes its log: `text` (swift-log's stream format) or `json`
/// (one JSON object per line), always to stderr.
public enum LogFormat: String, Sendable, CaseIterable {
    case text, json
}

public enum LogOutput {
    /// Parses a level name as swift-log spells it (`trace` ... `critical`), also `warn`.
    public static func level(_ name: String) -> Logger.Level? {
        name.lowercased() == "warn" ? .warning : Logger.Level(rawValue: name.lowercased())
    }

    /// Installs the process-wide log handler. Call once, before any `Logger` is made.
    public static func bootstrap(format: LogFormat, level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler
            switch format {
            case .text: handler = StreamLogHandler.standardError(label: label)
            case .json: handler = JSONLogHandler(label: label)
            }
            handler.logLevel = level
            return handler
        }
    }
}

/// One JSON object per line on stderr: `ts` (RFC 3339, milliseconds, UTC), `level`, `logger`,
/// `msg`, then the metadata fields (handler, logger and per-message, later ones winning).
/// Each line is one `write(2)`, so lines from different threads never interleave.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let write: @Sendable (String) -> Void

    public init(label: String, write: @escaping @Sendable (String) -> Void = JSONLogHandler.writeToStandardError) {
        self.label = label
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public static let writeToStandardError: @Sendable (String) -> Void = { line in
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Foundation.write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if n <= 0 { if errno == EINTR { continue }; return }
                offset += n
            }
        }
    }

    public func log(event: LogEvent) {
        var fields = self.metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { $1 } }
        if let explicit = event.metadata { fields.merge(explicit) { $1 } }
        if let error = event.error { fields["error"] = "\(error)" }
        var out = "{\"ts\":\"\(Self.timestamp())\",\"level\":\"\(event.level.rawValue)\",\"logger\":\(HTTPServerJSON.quote(label)),\"msg\":\(HTTPServerJSON.quote(event.message.description))"
        for (key, value) in fields.sorted(by: { $0.key < $1.key }) where !["ts", "level", "logger", "msg"].contains(key) {
            out += ",\(HTTPServerJSON.quote(key)):\(Self.encode(value))"
        }
        out += "}\n"
        write(out)
    }

    static func encode(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let s): return HTTPServerJSON.quote(s)
        case .stringConvertible(let c): return HTTPServerJSON.quote(c.description)
        case .array(let a): return "[" + a.map(encode).joined(separator: ",") + "]"
        case .dictionary(let d): return "{" + d.sorted { $0.key < $1.key }.map { "\(HTTPServerJSON.quote($0.key)):\(encode($0.value))" }.joined(separator: ",") + "}"
        }
    }

    static func timestamp() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var seconds = ts.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ v: Int32, _ width: Int = 2) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1))-\(pad(parts.tm_mday))T\(pad(parts.tm_hour)):\(pad(parts.tm_min)):\(pad(parts.tm_sec)).\(pad(Int32(ts.tv_nsec / 1_000_000), 3))Z"
    }
}

/// Request ids for requests that reach the upstream: the client's `X-Request-Id` when it is
/// sane (`RequestID.isAcceptable`), else `<per-process random prefix>-<sequence>`: one
/// relaxed atomic add, no randomness per request. Hits never need one.
public enum RequestIDs {
    static let prefix = RequestID.prefix(random: UInt64.random(in: 0...UInt64.max))
    static let sequence = Atomic<UInt64>(0)

    public static func next() -> String {
        RequestID.make(prefix: prefix, sequence: sequence.add(1, ordering: .relaxed).newValue)
    }

    /// The id of a request with these headers: the client's if acceptable, else a new one.
    public static func id(from headers: HTTPHeadersLookup) -> String {
        if let given = headers(RequestID.headerName), RequestID.isAcceptable(given) { return given }
        return next()
    }

    public typealias HTTPHeadersLookup = (String) -> String?
}
