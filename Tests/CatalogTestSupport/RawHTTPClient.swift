import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A deliberately dumb blocking HTTP/1.1 client over a POSIX socket, so tests see exactly the
/// bytes on the wire (keep-alive, pipelining, HEAD framing, connection close, server-sent
/// events). The blocking calls run on the client's own dispatch queue, never on Swift's
/// cooperative pool (which the server's responder tasks need) nor on a NIO event loop. Reads
/// give up after `readTimeoutSeconds` (a hang guard, not a timing assertion).
public final class RawHTTPClient: @unchecked Sendable {
    public struct Response: Sendable {
        public let statusCode: Int
        public let headers: [String: String]  // lower-cased names
        public let body: String
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    private let fd: Int32
    private var buffer: [UInt8] = []
    private let queue = DispatchQueue(label: "raw-http-client")

    /// Runs a blocking operation on the client's queue.
    private func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }

    public func send(_ text: String) async throws { try await blocking { try self.sendNow(text) } }

    public func readResponse(head: Bool = false) async throws -> Response {
        try await blocking { try self.readNow(head: head) }
    }

    public func isClosedByPeer() async throws -> Bool { try await blocking { try self.closedNow() } }

    /// One server-sent event (`text/event-stream`), after the stream's response head was read.
    public struct Event: Sendable, Equatable {
        public var id: String?
        public var name: String
        public var data: String
    }

    /// The next event of a stream (comments, heartbeats and `retry:` skipped).
    public func readEvent() async throws -> Event { try await blocking { try self.readEventNow() } }

    /// Reads (and drops) until the server closes; true when it did, false when a read timed out.
    public func waitUntilClosed() async throws -> Bool { try await blocking { self.drainUntilClosedNow() } }

    public init(port: Int, readTimeoutSeconds: Int = 10) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed") }
        var timeout = timeval(tv_sec: readTimeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { close(fd); throw Failure(description: "connect() failed") }
    }

    deinit { close(fd) }

    private func sendNow(_ text: String) throws {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(description: "send() failed") }
            sent += n
        }
    }

    /// Reads more bytes; false at end of stream.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n < 0 { throw Failure(description: "recv() failed or timed out") }
        if n == 0 { return false }
        buffer += chunk[0..<n]
        return true
    }

    /// Reads until `separator` is buffered: its offset, or nil when the stream ended first.
    private func readUntil(_ separator: [UInt8]) throws -> Int? {
        var searched = 0
        while true {
            if buffer.count >= separator.count {
                if let at = (searched...(buffer.count - separator.count)).first(where: { buffer[$0..<($0 + separator.count)].elementsEqual(separator) }) { return at }
                searched = buffer.count - separator.count + 1
            }
            guard try fill() else { return nil }
        }
    }

    /// Reads one response; `head` means no body follows whatever Content-Length says.
    private func readNow(head: Bool) throws -> Response {
        guard let end = try readUntil([13, 10, 13, 10]) else { throw Failure(description: "connection closed before a response") }
        let headText = String(decoding: buffer[0..<end], as: UTF8.self)
        buffer.removeFirst(end + 4)
        var lines = headText.components(separatedBy: "\r\n")
        let status = Int(lines.removeFirst().split(separator: " ")[1]) ?? 0
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = head ? 0 : Int(headers["content-length"] ?? "0") ?? 0
        while buffer.count < length {
            if try !fill() { throw Failure(description: "connection closed inside a body") }
        }
        let body = String(decoding: buffer[0..<length], as: UTF8.self)
        buffer.removeFirst(length)
        return Response(statusCode: status, headers: headers, body: body)
    }

    /// The next server-sent event (comments, heartbeats and `retry:` skipped).
    private func readEventNow() throws -> Event {
        while true {
            guard let end = try readUntil([10, 10]) else { throw Failure(description: "stream closed") }
            let block = String(decoding: buffer[0..<end], as: UTF8.self)
            buffer.removeFirst(end + 2)
            var event = Event(id: nil, name: "message", data: "")
            var hasData = false
            for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix("id: ") { event.id = String(line.dropFirst(4)) }
                if line.hasPrefix("event: ") { event.name = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { event.data = String(line.dropFirst(6)); hasData = true }
            }
            if hasData { return event }
        }
    }

    /// Reads until the server closes; true when it did, false when a read timed out.
    private func drainUntilClosedNow() -> Bool {
        do {
            while try fill() { buffer.removeAll() }
            return true
        } catch {
            return false
        }
    }

    /// True when the server closed the connection and sent nothing more.
    private func closedNow() throws -> Bool {
        buffer.isEmpty ? try !fill() : false
    }
}
