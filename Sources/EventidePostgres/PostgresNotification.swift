/// A NOTIFY received on a channel the session LISTENs to.
public struct PostgresNotification: Sendable, Hashable {
    /// The channel named in NOTIFY.
    public let channel: String
    /// The payload (empty when none was given).
    public let payload: String
    /// The process id of the backend that sent it.
    public let backendPID: Int32

    /// Creates a notification; the module makes them, callers may for tests.
    public init(channel: String, payload: String, backendPID: Int32) {
        self.channel = channel
        self.payload = payload
        self.backendPID = backendPID
    }
}
