import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `catalog-cache stat`: a running proxy's counters and rates, read from its admin port's
/// `/stats.json`, redrawn in the terminal like varnishstat; `--once --json` prints the
/// document for scripts. Exits 1 with one line on stderr when the admin port cannot be read.
struct Stat: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Live counters and rates of a running proxy, from its admin port (like varnishstat).",
        discussion: "Reads GET /stats.json. CHANGE/s is the rate over the last second and AVG/s over the last ten, both computed by the proxy."
    )

    @Option(name: .long, help: "The proxy's admin URL.") var admin: String = "http://127.0.0.1:8081"
    @Flag(help: "Print once and exit.") var once = false
    @Flag(help: "Print the JSON document (with --once: one document; otherwise one line per refresh).") var json = false
    @Option(help: "Seconds between refreshes.") var interval: Double = 1
    @Option(help: "Seconds to wait for the admin port.") var timeout: Double = 2

    func validate() throws {
        guard interval > 0 else { throw ValidationError("--interval must be positive") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
        _ = try AdminAddress(admin)
    }

    func run() throws {
        let address = try AdminAddress(admin)
        while true {
            let result = Result { try address.fetch(path: "/stats.json", timeout: timeout) }
            switch result {
            case .success(let body):
                if json {
                    let text = String(decoding: body, as: UTF8.self)
                    Swift.print(text)
                } else {
                    guard let doc = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else {
                        fail("\(address) did not answer a stats document (is it a catalog-cache admin port?)")
                    }
                    let view = StatView.render(doc, source: "\(address)", width: Self.terminalWidth())
                    Swift.print(once ? view : "\u{1B}[H\u{1B}[2J" + view, terminator: once ? "\n" : "")
                }
            case .failure(let error):
                if once { fail("cannot read \(address)/stats.json: \(error)") }
                Swift.print("\u{1B}[H\u{1B}[2Jcatalog-cache stat: cannot read \(address)/stats.json: \(error); retrying every \(interval) s")
            }
            fflush(nil)
            if once { return }
            usleep(useconds_t(interval * 1_000_000))
        }
    }

    static func terminalWidth() -> Int {
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 40 { return Int(size.ws_col) }
        return 100
    }
}

/// `http://host:port` of an admin port (no TLS: the admin port is plain HTTP on a private address).
struct AdminAddress: CustomStringConvertible {
    var host: String
    var port: Int

    init(_ url: String) throws {
        guard url.hasPrefix("http://") else { throw ValidationError("--admin: must start with http:// (got \(url))") }
        var rest = url.dropFirst("http://".count)
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            port = after.hasPrefix(":") ? Int(after.dropFirst()) ?? -1 : 80
        } else if let colon = rest.lastIndex(of: ":") {
            host = String(rest[..<colon])
            port = Int(rest[rest.index(after: colon)...]) ?? -1
        } else {
            host = String(rest)
            port = 80
        }
        guard !host.isEmpty, (1...65535).contains(port) else { throw ValidationError("--admin: must be http://HOST:PORT (got \(url))") }
    }

    var description: String { host.contains(":") ? "http://[\(host)]:\(port)" : "http://\(host):\(port)" }

    struct FetchError: Error, CustomStringConvertible {
        var description: String
    }

    /// One blocking HTTP/1.1 request without a body (`Connection: close`); the body of a
    /// 200, else an error with the status and body.
    func fetch(path: String, timeout: Double, method: String = "GET") throws -> Data {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else { throw FetchError(description: "cannot resolve \(host): \(String(cString: gai_strerror(rc)))") }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let ai = candidate {
            candidate = ai.pointee.ai_next
            let fd = socket(ai.pointee.ai_family, ai.pointee.ai_socktype, ai.pointee.ai_protocol)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            guard connect(fd, ai.pointee.ai_addr, ai.pointee.ai_addrlen) == 0 else {
                lastError = String(cString: strerror(errno))
                continue
            }
            let request = "\(method) \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nUser-Agent: catalog-cache-stat\r\nAccept: application/json\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            let sent = request.utf8CString.withUnsafeBufferPointer { send(fd, $0.baseAddress, $0.count - 1, Int32(MSG_NOSIGNAL)) }
            guard sent == request.utf8.count else { throw FetchError(description: "send failed: \(String(cString: strerror(errno)))") }
            var response = Data()
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = recv(fd, &buffer, buffer.count, 0)
                if n == 0 { break }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw FetchError(description: errno == EAGAIN ? "no answer within \(timeout) s" : "read failed: \(String(cString: strerror(errno)))")
                }
                response.append(contentsOf: buffer[0..<n])
                if let body = Self.completeBody(response) { return try Self.checked(response, body: body) }
                if response.count > 64 << 20 { throw FetchError(description: "answer too large") }
            }
            guard let body = Self.completeBody(response, eof: true) else { throw FetchError(description: "incomplete HTTP answer") }
            return try Self.checked(response, body: body)
        }
        throw FetchError(description: lastError)
    }

    /// The body once the head and `Content-Length` bytes (or, without one, EOF) arrived.
    static func completeBody(_ response: Data, eof: Bool = false) -> Data? {
        guard let end = response.range(of: Data("\r\n\r\n".utf8)) else { return nil }
        let head = String(decoding: response[..<end.lowerBound], as: UTF8.self).lowercased()
        let body = response[end.upperBound...]
        if let line = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
           let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) {
            return body.count >= length ? Data(body.prefix(length)) : nil
        }
        return eof ? Data(body) : nil
    }

    static func checked(_ response: Data, body: Data) throws -> Data {
        let statusLine = String(decoding: response.prefix(while: { $0 != 13 }), as: UTF8.self)
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw FetchError(description: "not an HTTP answer")
        }
        guard status == 200 else { throw FetchError(description: "HTTP \(status)" + (body.isEmpty ? "" : ": " + String(decoding: body.prefix(1000), as: UTF8.self))) }
        return body
    }
}

/// The terminal view of a stats document.
enum StatView {
    static func render(_ doc: [String: Any], source: String, width: Int) -> String {
        func object(_ key: String, in d: [String: Any] = doc) -> [String: Any] { d[key] as? [String: Any] ?? [:] }
        func number(_ v: Any?) -> Double? { (v as? NSNumber)?.doubleValue }
        func ms(_ v: Any?) -> String { number(v).map { String(format: "%.3f", $0) } ?? "-" }
        func pct(_ v: Any?) -> String { number(v).map { String(format: "%.1f %%", $0 * 100) } ?? "-" }
        func grouped(_ v: Double) -> String {
            let formatter = NumberFormatter()
            formatter.numberStyle = .decimal
            formatter.maximumFractionDigits = 0
            return formatter.string(from: NSNumber(value: v)) ?? "\(Int(v))"
        }
        let counters = object("counters"), rates1 = object("rates_1s"), rates10 = object("rates_10s")
        let latency = object("all", in: object("latency_ms"))
        let redis = object("redis"), upstream = object("upstream"), feed = object("feed"), instance = object("instance")
        let uptime = Int(number(doc["uptime_s"]) ?? 0)
        var lines: [String] = []
        lines.append("catalog-cache stat  \(source)  up \(uptime / 3600)h \(uptime % 3600 / 60)m \(uptime % 60)s  store \(instance["store"] ?? "-")  upstream \(upstream["state"] ?? "-")  redis \(redis["state"] ?? "-") (circuit \(redis["circuit"] ?? "-"))  feed \(feed["state"] ?? "-")")
        lines.append("hit ratio \(pct(doc["hit_ratio"])) (10 s: \(pct(doc["hit_ratio_10s"])))  requests \(String(format: "%.1f", number(rates1["requests.total"]) ?? 0))/s  p50 \(ms(latency["p50"])) ms  p99 \(ms(latency["p99"])) ms  p99.9 \(ms(latency["p999"])) ms  open connections \(number(object("gauges")["connections.open"]).map { Int($0) } ?? 0)")
        lines.append("commit->invalidated p50 \(ms(object("commit_to_invalidated_ms", in: feed)["p50"])) ms  p99 \(ms(object("commit_to_invalidated_ms", in: feed)["p99"])) ms")
        lines.append("")
        let nameWidth = max(36, (counters.keys.map(\.count).max() ?? 0) + 2)
        lines.append("NAME".padding(toLength: nameWidth, withPad: " ", startingAt: 0) + "CURRENT".leftPadded(16) + "CHANGE/s".leftPadded(14) + "AVG/s (10 s)".leftPadded(14))
        // Counters that moved first? varnishstat lists everything in a fixed order; so do we.
        for name in counters.keys.sorted() {
            let current = number(counters[name]) ?? 0
            let change = number(rates1[name]).map { String(format: "%.1f", $0) } ?? "-"
            let avg = number(rates10[name]).map { String(format: "%.1f", $0) } ?? "-"
            lines.append(name.padding(toLength: nameWidth, withPad: " ", startingAt: 0) + grouped(current).leftPadded(16) + change.leftPadded(14) + avg.leftPadded(14))
        }
        let hot = object("hot_keys")
        if let keys = hot["keys"] as? [[String: Any]], !keys.isEmpty {
            lines.append("")
            lines.append("HOTTEST KEYS (sampled 1 in \(number(hot["sample_every"]).map { Int($0) } ?? 0))")
            for item in keys.prefix(10) {
                let estimate = grouped(number(item["estimated_requests"]) ?? 0).leftPadded(10)
                let key = item["key"] as? String ?? "?"
                lines.append("\(estimate)  \(key.count > width - 14 ? String(key.prefix(width - 15)) + "…" : key)")
            }
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? " " + self : String(repeating: " ", count: width - count) + self }
}
