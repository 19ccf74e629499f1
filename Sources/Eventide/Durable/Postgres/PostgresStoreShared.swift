import EventideUVLoop
import Foundation

/// What the PostgreSQL task store's two halves (the Sendable store, the loop-bound core)
/// both read: who this process is, the server's clock, whether it coordinates the fleet.
final class PostgresStoreShared: Sendable {
    /// This process's name in `eventide_workers` and in its running tasks' `worker`.
    let worker: String
    let maxQueued: Int?
    /// The server's clock minus this machine's, in milliseconds (read at each heartbeat).
    private let offset = Locked<(milliseconds: Int64, roundTrip: Int64)>((0, .max))
    private let coordinating = Locked(false)
    private let wake = Locked<(@Sendable (String?) -> Void)?>(nil)

    init(worker: String, maxQueued: Int?) {
        self.worker = worker
        self.maxQueued = maxQueued
    }

    /// The server's time (milliseconds since the Unix epoch), as this machine estimates it:
    /// every process of a fleet agrees on what is due.
    func now() -> Int64 { Self.localNow() + offset.withLock { $0.milliseconds } }

    static func localNow() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// Sets the clock offset from a reading of the server's clock taken between `sent`
    /// and `received` (local milliseconds), placed at their middle. A reading that took
    /// long (a loaded machine) is only used while there is no better one.
    /// A reading within its own uncertainty (half its round trip) of the offset in use
    /// leaves it alone: the clock this process stamps tasks with does not jitter.
    func setServerClock(_ server: Int64, sent: Int64, received: Int64) {
        let roundTrip = received - sent
        let reading = server - (sent + received) / 2
        offset.withLock { offset in
            guard roundTrip <= Self.goodRoundTrip || offset.roundTrip > Self.goodRoundTrip else { return }
            guard offset.roundTrip == .max || abs(reading - offset.milliseconds) > roundTrip / 2 + 1 else { return }
            offset = (reading, roundTrip)
        }
    }

    /// Milliseconds within which a clock reading is trusted.
    private static let goodRoundTrip: Int64 = 50

    var isCoordinator: Bool {
        get { coordinating.withLock { $0 } }
        set { coordinating.withLock { $0 = newValue } }
    }

    func onTasksAvailable(_ handler: @escaping @Sendable (String?) -> Void) { wake.withLock { $0 = handler } }

    func tasksAvailable(in queue: String?) { wake.withLock { $0 }?(queue) }
}
