import CLibPQ
import CatalogPostgres
import Foundation
import Logging
import Synchronization

/// LISTENs on the invalidation channel from a thread of its own.
///
/// NIO cannot watch libpq's socket without reading from it, so the connection lives on a
/// dedicated thread that `poll()`s the socket and a wake pipe, and hands the notifications of
/// each read to `deliver`, in the order PostgreSQL sent them (commit order). `deliver` may
/// block: the next read is handed over only after it returns, so an invalidation is applied
/// before any later one (the read-your-writes token relies on this).
///
/// After every connect, `inspect` (if any) may read the database on the new connection before
/// it LISTENs (so no notification can arrive meanwhile); it must not throw.
///
/// After every connect, including the first, `connected` runs before any notification is
/// delivered: notifications sent while no connection listened are lost, so the caller
/// treats everything as invalidated. A dead connection is found by the socket closing or by
/// a `SELECT 1` after `idleProbeSeconds` of silence; reconnects back off from 100 ms to 5 s.
public final class InvalidationListener: Sendable {
    private let url: String
    private let channel: String
    private let logger: Logger
    private let inspect: (@Sendable (PostgresConnection) -> Void)?
    private let connected: @Sendable () -> Void
    private let disconnected: @Sendable (String) -> Void
    private let deliver: @Sendable ([PostgresNotification]) -> Void
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let stopping = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    public let idleProbeSeconds: Int32

    /// `channel` must be a validated SQL identifier.
    public init(
        url: String, channel: String, logger: Logger, idleProbeSeconds: Int32 = 5,
        inspect: (@Sendable (PostgresConnection) -> Void)? = nil,
        connected: @escaping @Sendable () -> Void,
        disconnected: @escaping @Sendable (String) -> Void,
        deliver: @escaping @Sendable ([PostgresNotification]) -> Void
    ) {
        self.url = url
        self.channel = channel
        self.logger = logger
        self.idleProbeSeconds = idleProbeSeconds
        self.inspect = inspect
        self.connected = connected
        self.disconnected = disconnected
        self.deliver = deliver
        var fds: [Int32] = [0, 0]
        precondition(pipe(&fds) == 0, "pipe() failed")
        _ = fcntl(fds[0], F_SETFL, O_NONBLOCK)
        wakeRead = fds[0]
        wakeWrite = fds[1]
    }

    /// The listener thread's name, as `top -H`, `ps -L` and `/proc/<pid>/task/*/comm` show it
    /// (the kernel keeps 15 bytes).
    public static let threadName = "catalog-listen"

    public func start() {
        let thread = Thread { [self] in
            // Named from the thread itself: Foundation on Linux does not pass a name set
            // before `start()` to the kernel.
            Thread.current.name = Self.threadName
            self.run()
            self.finished.signal()
        }
        thread.start()
    }

    /// Stops the thread and waits for it (at most a few seconds).
    public func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
        _ = finished.wait(timeout: .now() + 10)
        close(wakeRead)
        close(wakeWrite)
    }

    private var isStopping: Bool { stopping.load(ordering: .sequentiallyConsistent) }

    private func run() {
        var backoffMilliseconds: Int32 = 100
        while !isStopping {
            do {
                let connection = try PostgresConnection(url: Self.withApplicationName(url))
                defer { connection.close() }
                inspect?(connection)
                _ = try connection.execute("LISTEN \"\(channel)\"")
                logger.info("invalidation feed: listening on channel \(channel)", metadata: ["event": "feed_state", "state": "listening", "channel": .string(channel)])
                backoffMilliseconds = 100
                connected()
                try listen(on: connection)
            } catch {
                guard !isStopping else { break }
                logger.error("invalidation feed: \(error); reconnecting in \(backoffMilliseconds) ms", metadata: ["event": "feed_state", "state": "reconnecting", "backoff_ms": .stringConvertible(backoffMilliseconds), "error": .string("\(error)")])
                disconnected("\(error)")
                sleepOrWake(milliseconds: backoffMilliseconds)
                backoffMilliseconds = min(backoffMilliseconds * 2, 5000)
            }
        }
    }

    /// Names the connection so operators (and tests) can find it in `pg_stat_activity`.
    static func withApplicationName(_ url: String) -> String {
        guard !url.contains("application_name=") else { return url }
        return url + (url.contains("?") ? "&" : "?") + "application_name=catalog-cache-listen"
    }

    private struct ConnectionLost: Error, CustomStringConvertible {
        var description: String
    }

    private func listen(on connection: PostgresConnection) throws {
        while !isStopping {
            var fds = [
                pollfd(fd: connection.socket, events: Int16(POLLIN), revents: 0),
                pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&fds, 2, idleProbeSeconds * 1000)
            if ready < 0 {
                if errno == EINTR { continue }
                throw ConnectionLost(description: "poll failed (errno \(errno))")
            }
            if fds[1].revents != 0 { drainWakePipe() }
            if isStopping { return }
            if ready == 0 {
                // Quiet for a while: make sure the connection is still alive.
                _ = try connection.query("SELECT 1")
            } else if fds[0].revents != 0 {
                if fds[0].revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 && fds[0].revents & Int16(POLLIN) == 0 {
                    throw ConnectionLost(description: "connection to the database closed")
                }
                try connection.consumeInput()
            }
            let notifications = connection.notifies()
            if !notifications.isEmpty { deliver(notifications) }
            if !connection.isHealthy { throw ConnectionLost(description: "connection to the database lost") }
        }
    }

    private func drainWakePipe() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(wakeRead, &buffer, buffer.count) > 0 {}
    }

    private func sleepOrWake(milliseconds: Int32) {
        var fds = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
        _ = poll(&fds, 1, milliseconds)
    }
}
