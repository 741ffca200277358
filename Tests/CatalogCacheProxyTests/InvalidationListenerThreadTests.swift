import CatalogCacheProxy
import Foundation
import Logging
import Testing

/// The listener's thread carries its name where operators look for it (`top -H`, `ps -L`).
@Suite struct InvalidationListenerThreadTests {
    @Test func theListenerThreadIsNamedForTheKernel() throws {
        // Nothing listens on port 1: the thread keeps trying to connect, which is enough.
        let listener = InvalidationListener(
            url: "postgresql://127.0.0.1:1/none?connect_timeout=1", channel: "catalog_cache", logger: Logger(label: "test"),
            connected: {}, disconnected: { _ in }, deliver: { _ in })
        listener.start()
        defer { listener.stop() }
        var names: [String] = []
        for _ in 0..<200 {
            names = threadNames()
            if names.contains(InvalidationListener.threadName) { break }
            Thread.sleep(forTimeInterval: 0.01)
        }
        #expect(names.contains(InvalidationListener.threadName), "threads: \(names)")
    }

    /// The names of this process's threads, from `/proc/self/task/<tid>/comm`.
    private func threadNames() -> [String] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.compactMap { tid in
            (try? String(contentsOfFile: "/proc/self/task/\(tid)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }
}
