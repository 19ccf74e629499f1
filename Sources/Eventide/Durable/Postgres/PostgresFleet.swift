import EventidePostgres
import EventideUVLoop
import Foundation
import Logging

/// This process as a member of the fleet sharing a PostgreSQL store: it registers in
/// `eventide_workers`, tells the fleet it is alive every `heartbeatInterval`, listens for
/// tasks stored by others, and competes for the coordinator's advisory lock. The
/// coordinator makes the tasks of members silent for `heartbeatTimeout` available again.
///
/// A member cut off longer than the timeout loses its tasks to the others; when it comes
/// back its results for them are refused (the store checks worker and attempt), and it
/// registers again.
final class PostgresFleet: Sendable {
    private let client: PostgresClient
    private let shared: PostgresStoreShared
    private let settings: PostgresStoreSettings
    private let logger: Logger
    /// The LISTEN session (also holding the coordinator's lock), once `join` made it.
    private let listener = Locked<LoopBound<PostgresListener>?>(nil)
    private let leaving = Locked(false)

    init(client: PostgresClient, shared: PostgresStoreShared, settings: PostgresStoreSettings, logger: Logger) {
        self.client = client
        self.shared = shared
        self.settings = settings
        self.logger = logger
    }

    /// Registers this process, reads the server's clock and starts listening (once),
    /// waiting for the session to listen (at most the connect timeout).
    func join() async throws {
        try await register()
        try await readClock()
        guard listener.withLock({ $0 == nil }) else { return }
        let listening = WakeSignal()
        let session = try await client.loop.submit { [client, shared, logger] in
            let session = PostgresListener(client: client, channels: [PostgresTaskSQL.channel])
            session.onNotification = { notification in shared.tasksAvailable(in: notification.payload) }
            var verified = false
            session.onListening = { [unowned session] in
                listening.fire()
                // Notifications sent before (or while the session was down) are lost:
                // every queue looks once.
                shared.tasksAvailable(in: nil)
                guard !verified else { return }
                verified = true
                session.verify { result in
                    guard case .failure(let error) = result, error.kind == .notificationsUnsupported else { return }
                    logger.error("durable tasks: LISTEN/NOTIFY does not work on this connection; workers will find new tasks by polling only",
                        metadata: ["error": "\(error)"])
                }
            }
            session.onSessionLost = { _ in shared.isCoordinator = false }
            return LoopBound(session, loop: client.loop)
        }
        listener.withLock { $0 = session }
        await listening.wait(timeout: settings.connectTimeout)
    }

    /// Beats until `leave`: heartbeat, clock, the coordinator's lock and its rescue.
    ///
    /// A coordinator rescues only after leading for `heartbeatTimeout`: one that has just
    /// taken over, or got its lock back after PostgreSQL restarted, has not seen the
    /// others beat yet (nobody could during an outage), and would take their running
    /// tasks from live processes.
    func run() async {
        var ledSince: ContinuousClock.Instant?
        while !leaving.withLock({ $0 }) {
            do {
                try await beat()
                try await readClock()
                if !shared.isCoordinator { shared.isCoordinator = try await tryToLead() }
                switch (shared.isCoordinator, ledSince) {
                case (true, nil):
                    ledSince = .now
                    logger.info("durable tasks: this process coordinates the fleet", metadata: ["worker": "\(shared.worker)"])
                case (false, .some): ledSince = nil
                default: break
                }
                if let ledSince, ContinuousClock.now - ledSince >= settings.heartbeatTimeout { _ = try await rescue() }
            } catch where !leaving.withLock({ $0 }) {
                logger.warning("durable tasks: heartbeat failed", metadata: ["error": "\(error)"])
            } catch {}
            try? await Task.sleep(for: settings.heartbeatInterval)
        }
    }

    private func register() async throws {
        _ = try await client.query(PostgresTaskSQL.register, [
            .text(shared.worker), .text(ProcessInfo.processInfo.hostName), .int32(getpid()),
        ])
    }

    private func beat() async throws {
        let rows = try await client.query(PostgresTaskSQL.heartbeat, [.text(shared.worker)])
        guard rows.affectedRows == 0 else { return }
        // The coordinator declared this process dead (it was cut off too long): its tasks
        // went to others, and its results for them will be refused.
        logger.warning("durable tasks: this process was silent past the heartbeat timeout; its running tasks were given to the fleet",
            metadata: ["worker": "\(shared.worker)"])
        try await register()
    }

    private func readClock() async throws {
        let sent = PostgresStoreShared.localNow()
        let rows = try await client.query(PostgresTaskSQL.clock)
        shared.setServerClock(rows.int64(0, 0) ?? sent, sent: sent, received: PostgresStoreShared.localNow())
    }

    /// Takes the coordinator's lock on the listening session (held while it lives).
    private func tryToLead() async throws -> Bool {
        guard let listener = listener.withLock({ $0 }) else { return false }
        return try await withCheckedThrowingContinuation { continuation in
            let accepted = client.loop.execute {
                // Between sessions (reconnecting): not now; the next beat tries again.
                guard listener.value.isListening else { return continuation.resume(returning: false) }
                listener.value.run([PostgresStatement(PostgresTaskSQL.lead)]) { answers in
                    continuation.resume(with: answers[0].map { $0.bool(0, 0) ?? false }.mapError { $0 as any Error })
                }
            }
            if !accepted { continuation.resume(throwing: PostgresTaskStoreError.closed) }
        }
    }

    /// Makes the tasks of silent members available again; returns how many.
    func rescue() async throws -> Int {
        let timeout = Double(settings.heartbeatTimeout.wholeMilliseconds) / 1000
        let rows = try await client.query(PostgresTaskSQL.rescue, [.float64(timeout)])
        guard rows.count > 0 else { return 0 }
        logger.warning("durable tasks: tasks of silent processes made available again", metadata: ["count": "\(rows.count)"])
        var queues = Set<String>()
        for row in 0..<rows.count { if let queue = rows.string(row, 1) { queues.insert(queue) } }
        _ = try? await client.query(PostgresTaskSQL.notify, [.textArray(queues.sorted())])
        return rows.count
    }

    /// Stops beating, leaves the fleet (this process's tasks were put back already) and
    /// closes the listening session (releasing the coordinator's lock).
    func leave() async {
        leaving.withLock { $0 = true }
        _ = try? await client.query(PostgresTaskSQL.unregister, [.text(shared.worker)])
        if let listener = listener.withLock({ $0 }) { _ = try? await client.loop.submit { listener.value.close() } }
        shared.isCoordinator = false
    }
}
