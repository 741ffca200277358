import Foundation
import NIOCore

/// The set of open client connections of one `HTTPServer`, so shutdown can close them.
///
/// Invariant: a channel is in the set from its initialisation until its close future fires;
/// after `closeAll()`, or while `maxConnections` are open, newly added channels are closed
/// immediately.
final class HTTPServerConnections: @unchecked Sendable {
    private let lock = NSLock()
    private var channels: [ObjectIdentifier: any Channel] = [:]
    private var closed = false
    /// Open connections beyond which new ones are closed at once; nil: no bound.
    private let maxConnections: Int?

    init(maxConnections: Int? = nil) {
        self.maxConnections = maxConnections
    }

    /// Adds `channel`, or closes it (and answers false) after `closeAll()` or when
    /// `maxConnections` are open.
    @discardableResult
    func add(_ channel: any Channel) -> Bool {
        let id = ObjectIdentifier(channel)
        lock.lock()
        let accept = !closed && channels.count < (maxConnections ?? .max)
        if accept { channels[id] = channel }
        lock.unlock()
        guard accept else {
            channel.close(promise: nil)
            return false
        }
        channel.closeFuture.whenComplete { [weak self] _ in self?.remove(id) }
        return true
    }

    private func remove(_ id: ObjectIdentifier) {
        lock.lock()
        channels[id] = nil
        lock.unlock()
    }

    /// Closes every open connection and refuses later ones; waits until they are closed.
    func closeAll() async {
        for channel in markClosed() {
            try? await channel.close()
        }
    }

    private func markClosed() -> [any Channel] {
        lock.withLock {
            closed = true
            return Array(channels.values)
        }
    }
}
