import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A deliberately dumb blocking HTTP/1.1 client over a POSIX socket, so tests see exactly the
/// bytes on the wire (keep-alive, pipelining, HEAD framing, connection close).
/// The blocking calls run on the client's own dispatch queue, never on Swift's cooperative pool
/// (which the server's responder tasks need) nor on a NIO event loop. Reads time out after 10 s.
public final class RawHTTPClient: @unchecked Sendable {
    public struct Response: Sendable {
        public let statusCode: Int
        public let headers: [String: String]  // lower-cased names
        public let body: String
    }

    public struct Failure: Error, CustomStringConvertible { public let description: String }

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

    public init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed") }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
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

    /// Reads one response; `head` means no body follows whatever Content-Length says.
    private func readNow(head: Bool) throws -> Response {
        let separator: [UInt8] = [13, 10, 13, 10]
        var end: Int? = nil
        while end == nil {
            if buffer.count >= 4 {
                end = (0...(buffer.count - 4)).first { buffer[$0..<($0 + 4)].elementsEqual(separator) }
            }
            if end == nil, try !fill() { throw Failure(description: "connection closed before a response") }
        }
        let headText = String(decoding: buffer[0..<end!], as: UTF8.self)
        buffer.removeFirst(end! + 4)
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

    /// True when the server closed the connection and sent nothing more.
    private func closedNow() throws -> Bool {
        buffer.isEmpty ? try !fill() : false
    }
}
