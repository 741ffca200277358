import CatalogHTTP
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

/// A real Varnish 7 with vmod_xkey running `config/examples/varnish-edge.vcl`, its backend
/// pointed at `backendPort`, listening on `port`. Stopped by `stop()` (the process it started).
final class VarnishEdge: Sendable {
    static let varnishd = ["/usr/sbin/varnishd", "/usr/bin/varnishd"].first { FileManager.default.isExecutableFile(atPath: $0) }

    let port: Int
    private let process: Process
    private let directory: URL

    struct Missing: Error, CustomStringConvertible {
        var description: String { "varnishd is not installed: run scripts/bootstrap (Debian packages varnish, varnish-modules)" }
    }

    init(port: Int, backendPort: Int) throws {
        guard let varnishd = Self.varnishd else { throw Missing() }
        self.port = port
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("cc-varnish-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let shipped = try String(contentsOf: TestServices.packageRoot.appendingPathComponent("config/examples/varnish-edge.vcl"), encoding: .utf8)
        #expect(shipped.contains(".port = \"8080\";"))
        let vcl = shipped.replacingOccurrences(of: ".port = \"8080\";", with: ".port = \"\(backendPort)\";")
        let file = directory.appendingPathComponent("edge.vcl")
        try vcl.write(to: file, atomically: true, encoding: .utf8)
        // The test process blocks signals in every thread and a child inherits that mask;
        // varnishd's manager needs SIGCHLD (to see its cache process start) and SIGTERM.
        // perl (Debian's essential perl-base) clears the mask and execs it.
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/perl")
        process.arguments = ["-MPOSIX", "-e", "sigprocmask(SIG_SETMASK, POSIX::SigSet->new) or die; exec @ARGV or die", varnishd, "-F", "-a", "127.0.0.1:\(port)", "-f", file.path, "-n", directory.appendingPathComponent("n").path, "-s", "malloc,32m", "-T", "none"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    /// Waits until the edge answers (a PURGE without tags gets its 400).
    func waitUntilServing(client: UpstreamPool) async throws {
        for _ in 0..<300 {
            if let response = try? await client.execute(UpstreamRequest(method: .GET, uri: "/healthz-edge"), on: TestServices.group.next()).get(), response.head.status.code > 0 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("varnishd did not start serving on \(port)")
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }
}

/// A stand-in for a provider's purge API on loopback: records every request and answers
/// with what `answer` returns (Fastly and Cloudflare are not reachable from here).
final class RecordingPurgeAPI: HTTPResponder {
    struct Received: Sendable {
        var method: HTTPMethod
        var uri: String
        var headers: HTTPHeaders
        var body: String
    }

    private let received = NIOLockedValueBox<[Received]>([])
    private let answer: @Sendable (Received, Int) async -> HTTPServerResponse

    /// `answer` gets the request and its 0-based number.
    init(answer: @escaping @Sendable (Received, Int) async -> HTTPServerResponse) {
        self.answer = answer
    }

    var requests: [Received] { received.withLockedValue { $0 } }

    func respond(to request: HTTPServerRequest) async -> HTTPServerResponse {
        let entry = Received(method: request.method, uri: request.uri, headers: request.headers, body: request.body.map { String(buffer: $0) } ?? "")
        let number = received.withLockedValue { list in
            list.append(entry)
            return list.count - 1
        }
        return await answer(entry, number)
    }
}
