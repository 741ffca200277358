/// One asynchronous notification delivered by `NOTIFY channel, 'payload'`.
public struct PostgresNotification: Sendable, Equatable {
    /// The channel name given to LISTEN/NOTIFY.
    public let channel: String
    /// The payload string (empty when none was sent).
    public let payload: String
    /// PID of the notifying backend.
    public let backendPID: Int32

    public init(channel: String, payload: String, backendPID: Int32) {
        self.channel = channel
        self.payload = payload
        self.backendPID = backendPID
    }
}
