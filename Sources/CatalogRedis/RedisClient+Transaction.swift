import NIOCore

/// `MULTI` ... `EXEC` over the pooled connections.
extension RedisClient {
    /// Runs `commands` atomically: `MULTI`, the commands, `EXEC`, written back to back on one
    /// connection so no other command of this client can interleave. Answers `EXEC`'s replies,
    /// one per command (a command that failed at run time is an `.error` element: Redis does
    /// not roll back). Fails when the transaction did not run at all (a command rejected while
    /// queueing aborts it: `EXECABORT`; or the connection failed), in which case nothing of it
    /// was applied, or, for a connection that died after `EXEC` was written, possibly all of it.
    /// On Redis Cluster every command's keys must be in one slot (else ``RedisError/crossSlot(_:)``).
    public func transaction(_ commands: [RedisCommand], on eventLoop: EventLoop) -> EventLoopFuture<[RESPValue]> {
        guard !commands.isEmpty else { return eventLoop.makeSucceededFuture([]) }
        let batch = [RedisCommand("MULTI")] + commands + [RedisCommand("EXEC")]
        return sendBatch(batch, on: eventLoop).flatMapThrowing { results in
            for result in results.dropLast() {
                if case .failure(let error) = result { throw error }
            }
            let exec = try results[results.count - 1].get()
            guard case .array(let values?) = exec, values.count == commands.count else {
                throw RedisError.unexpectedReply("EXEC: \(exec)")
            }
            return values
        }.hop(to: eventLoop)
    }

    /// `transaction(_:on:)` on one of the group's loops.
    public func transaction(_ commands: [RedisCommand]) async throws -> [RESPValue] {
        try await transaction(commands, on: group.any()).get()
    }

    /// `send(_:on:)` on one of the group's loops.
    public func send(_ command: RedisCommand) async throws -> RESPValue {
        try await send(command, on: group.any()).get()
    }
}
