import CatalogHTTP
import Foundation
import NIOCore
import NIOPosix
import Testing

/// The listen backlog over a real socket: while the server's only event loop accepts nothing,
/// the kernel still completes as many handshakes as the backlog holds; the SYNs beyond it are
/// dropped and those connects never complete while the loop stays blocked.
@Suite("HTTP server listen backlog")
struct HTTPServerBacklogTests {
    /// Connects at once while the server cannot accept; more than the old backlog of 256.
    static let burst = 1_000

    static func somaxconn() -> Int? {
        (try? String(contentsOfFile: "/proc/sys/net/core/somaxconn", encoding: .utf8))
            .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    @Test("a burst of 1,000 connects completes while the event loop accepts nothing",
          .enabled(if: (somaxconn() ?? 0) >= burst, "net.core.somaxconn caps the backlog below the burst"))
    func burstWhileBlocked() async throws {
        let serverGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await HTTPServer.start(host: "127.0.0.1", port: 0, group: serverGroup, responder: EchoResponder())
        let release = DispatchSemaphore(value: 0)
        let blocked = DispatchSemaphore(value: 0)
        serverGroup.any().execute {
            blocked.signal()
            release.wait()
        }
        blocked.wait()

        // A dropped SYN is retried after 1 s and 3 s; 10 s is far past the point where every
        // connect the backlog holds has completed, and the loop is still blocked then.
        let bootstrap = ClientBootstrap(group: clientGroup).connectTimeout(.seconds(10))
        let attempts = (0..<Self.burst).map { _ in bootstrap.connect(host: "127.0.0.1", port: server.localPort) }
        var connected: [any Channel] = []
        var failed = 0
        for attempt in attempts {
            do { connected.append(try await attempt.get()) } catch { failed += 1 }
        }
        release.signal()

        #expect(connected.count == Self.burst, "\(failed) of \(Self.burst) connects failed while the loop was blocked")
        for channel in connected { try? await channel.close() }
        try await server.shutdown()
        try await clientGroup.shutdownGracefully()
        try await serverGroup.shutdownGracefully()
    }
}
