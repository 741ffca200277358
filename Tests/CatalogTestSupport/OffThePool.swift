import Foundation

/// Runs blocking work (libpq, waiting for a process) on a dispatch queue, so it never holds
/// one of the few threads of Swift's cooperative pool that every other async test needs.
/// The work stays in the calling task (a task executor preference, not a detached job), so
/// its task-locals hold there: an `#expect` that fails inside it is reported against the
/// test that ran it.
public func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withTaskExecutorPreference(DispatchTaskExecutor.shared) { try body() }
}

/// A task executor running each job on the global dispatch queue.
final class DispatchTaskExecutor: TaskExecutor {
    static let shared = DispatchTaskExecutor()

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        DispatchQueue.global().async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
