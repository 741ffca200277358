import Foundation

/// Runs blocking work (libpq, waiting for a process) on a dispatch queue, so it never holds
/// one of the few threads of Swift's cooperative pool that every other async test needs.
public func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}
