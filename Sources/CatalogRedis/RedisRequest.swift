import NIOCore

/// What a ``RedisConnection`` writes into its channel: a command and the promise its
/// reply completes. The promise belongs to the channel's event loop.
struct RedisRequest: Sendable {
    let command: RedisCommand
    let promise: EventLoopPromise<RESPValue>
}
