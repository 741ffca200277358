import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A blocking server-sent-events client over a POSIX socket, reading the stream as it comes.
/// Blocking calls run on its own queue; reads give up after 20 s (a hang guard, not a timing
/// assertion).
final class EventStreamClient: @unchecked Sendable {
    struct Event: Sendable, Equatable {
        var id: String?
        var name: String
        var data: String
    }

    struct Failure: Error, CustomStringConvertible { let description: String }

    private let fd: Int32
    private var buffer: [UInt8] = []
    private let queue = DispatchQueue(label: "event-stream-client")
    private(set) var status = 0
    private(set) var headers: [String: String] = [:]
    private(set) var body = ""

    private func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }

    /// Connects and sends `GET path` with `headers`; then reads the response head (and the
    /// body of a non-stream answer).
    init(port: Int, path: String = "/admin/events", headers: [(String, String)]) async throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed") }
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { close(fd); throw Failure(description: "connect() failed") }
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        request += "\r\n"
        let text = request
        try await blocking { try self.sendAndReadHead(text) }
    }

    deinit { close(fd) }

    private func sendAndReadHead(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard bytes.withUnsafeBytes({ Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == bytes.count else { throw Failure(description: "send() failed") }
        let end = try readUntil([13, 10, 13, 10])
        let lines = String(decoding: buffer[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
        buffer.removeFirst(end + 4)
        status = Int(lines[0].split(separator: " ")[1]) ?? 0
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        if let length = headers["content-length"].flatMap(Int.init) {
            while buffer.count < length { guard try fill() else { break } }
            body = String(decoding: buffer.prefix(length), as: UTF8.self)
        }
    }

    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n < 0 { throw Failure(description: "recv() failed or timed out") }
        if n == 0 { return false }
        buffer += chunk[0..<n]
        return true
    }

    private func readUntil(_ separator: [UInt8]) throws -> Int {
        var searched = 0
        while true {
            if buffer.count >= separator.count {
                if let at = (searched...(buffer.count - separator.count)).first(where: { buffer[$0..<($0 + separator.count)].elementsEqual(separator) }) { return at }
                searched = buffer.count - separator.count + 1
            }
            guard try fill() else { throw Failure(description: "stream closed") }
        }
    }

    /// The next event (comments, heartbeats and `retry:` skipped).
    func next() async throws -> Event {
        try await blocking {
            while true {
                let end = try self.readUntil([10, 10])
                let block = String(decoding: self.buffer[0..<end], as: UTF8.self)
                self.buffer.removeFirst(end + 2)
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
    }

    /// Reads until the server closes the stream; true when it did (false: a read timed out).
    func waitUntilClosed() async throws -> Bool {
        try await blocking {
            do {
                while try self.fill() { self.buffer.removeAll() }
                return true
            } catch {
                return false
            }
        }
    }
}
