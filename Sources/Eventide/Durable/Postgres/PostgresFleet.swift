import EventidePostgres
import EventideUVLoop
import Foundation
import Logging

/// This process as a member of the fleet sharing a PostgreSQL store: it registers in
/// `eventide_workers`, tells the fleet it is alive every `heartbeatInterval`, listens for
/// tasks stored by others, and (if it runs tasks) competes for the coordinator's lease.
/// The coordinator makes the tasks of members silent for `heartbeatTimeout` available
/// again.
///
/// The lease is a row (`eventide_coordinator`) its holder renews with each heartbeat and
/// anyone may take once it has expired: unlike a session's advisory lock, it passes on
/// even when the holder's host drops off the network without a word (its session would
/// hold a lock until the server's TCP gives up on it).
///
/// A member cut off longer than the timeout loses its tasks to the others; when it comes
/// back its results for them are refused (the store checks worker and attempt), it
/// claims nothing until it has registered again, and it stops coordinating.
final class PostgresFleet: Sendable {
    private let client: PostgresClient
    private let shared: PostgresStoreShared
    private let settings: PostgresStoreSettings
    private let logger: Logger
    /// The LISTEN session, once `join` made it; heartbeats go through it too, so a busy
    /// pool never delays them.
    private let listener = Locked<LoopBound<PostgresListener>?>(nil)
    private let leaving = Locked(false)
    private let vacuum: PostgresVacuum?
    /// Whether this process competes for the lease (it runs tasks).
    private let coordinates: Bool

    init(client: PostgresClient, shared: PostgresStoreShared, settings: PostgresStoreSettings, coordinates: Bool, logger: Logger) {
        self.client = client
        self.coordinates = coordinates
        self.shared = shared
        self.settings = settings
        self.logger = logger
        vacuum = settings.vacuumThreshold.map { PostgresVacuum(client: client, threshold: $0, logger: logger) }
    }

    /// Registers this process, reads the server's clock and starts listening (once),
    /// waiting for the session to listen (at most the connect timeout).
    func join() async throws {
        try await register()
        try await beat()  // reads the server's clock too
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
            return LoopBound(session, loop: client.loop)
        }
        listener.withLock { $0 = session }
        await listening.wait(timeout: settings.connectTimeout)
    }

    /// Beats until `leave`: heartbeat and clock, the coordinator's lease, its rescue and
    /// its VACUUM.
    ///
    /// After a beat fails, this process does not rescue for `heartbeatTimeout`: whatever
    /// kept it from PostgreSQL may have kept the others too, and they need a beat of
    /// their own before they are judged silent.
    func run() async {
        var quietUntil = ContinuousClock.now
        while !leaving.withLock({ $0 }) {
            do {
                try await beat()
                let leads = coordinates ? try await lease() : false
                if leads != shared.isCoordinator {
                    shared.isCoordinator = leads
                    logger.info(leads ? "durable tasks: this process coordinates the fleet" : "durable tasks: this process no longer coordinates the fleet",
                        metadata: ["worker": "\(shared.worker)"])
                }
                if leads, ContinuousClock.now >= quietUntil { _ = try await rescue() }
                if leads { vacuum?.startIfDue() }
            } catch where !leaving.withLock({ $0 }) {
                quietUntil = .now + settings.heartbeatTimeout
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

    /// The heartbeat, with a reading of the server's clock.
    private func beat() async throws {
        let sent = PostgresStoreShared.localNow()
        let answers = try await session([
            PostgresStatement(PostgresTaskSQL.heartbeat, [.text(shared.worker)]), PostgresStatement(PostgresTaskSQL.clock),
        ])
        let received = PostgresStoreShared.localNow()
        shared.setServerClock(answers[1].int64(0, 0) ?? sent, sent: sent, received: received)
        guard answers[0].affectedRows == 0 else { return }
        // The coordinator declared this process dead (it was cut off too long): its tasks
        // went to others, and its results for them will be refused.
        logger.warning("durable tasks: this process was silent past the heartbeat timeout; its running tasks were given to the fleet",
            metadata: ["worker": "\(shared.worker)"])
        try await register()
    }

    /// Takes or renews the coordinator's lease; returns whether this process holds it.
    private func lease() async throws -> Bool {
        let seconds = Double(settings.heartbeatTimeout.wholeMilliseconds) / 1000
        let rows = try await session([PostgresStatement(PostgresTaskSQL.lease, [.text(shared.worker), .float64(seconds)])])[0]
        return rows.count == 1
    }

    /// Runs `statements` on the listening session, or through the pool while it is down.
    private func session(_ statements: [PostgresStatement]) async throws -> [PostgresRows] {
        guard let listener = listener.withLock({ $0 }) else { return try await client.pipeline(statements) }
        let answers = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[Result<PostgresRows, PostgresError>]?, any Error>) in
            let accepted = client.loop.execute {
                guard listener.value.isListening else { return continuation.resume(returning: nil) }
                listener.value.run(statements) { continuation.resume(returning: $0) }
            }
            if !accepted { continuation.resume(throwing: PostgresTaskStoreError.closed) }
        }
        guard let answers else { return try await client.pipeline(statements) }
        return try answers.map { try $0.get() }
    }

    /// Makes the tasks of silent members available again; returns how many.
    func rescue() async throws -> Int {
        let timeout = Double(settings.heartbeatTimeout.wholeMilliseconds) / 1000
        let rows = try await client.query(PostgresTaskSQL.rescue, [.float64(timeout), .text(shared.worker)])
        guard rows.count > 0 else { return 0 }
        logger.warning("durable tasks: tasks of silent processes made available again", metadata: ["count": "\(rows.count)"])
        var queues = Set<String>()
        for row in 0..<rows.count { if let queue = rows.string(row, 1) { queues.insert(queue) } }
        _ = try? await client.query(PostgresTaskSQL.notify, [.textArray(queues.sorted().map { $0 })])
        return rows.count
    }

    /// Stops beating, gives up the lease, leaves the fleet (this process's tasks were put
    /// back already) and closes the listening session.
    func leave() async {
        leaving.withLock { $0 = true }
        _ = try? await client.pipeline([
            PostgresStatement(PostgresTaskSQL.unregister, [.text(shared.worker)]),
            PostgresStatement(PostgresTaskSQL.resign, [.text(shared.worker)]),
        ])
        if let listener = listener.withLock({ $0 }) { _ = try? await client.loop.submit { listener.value.close() } }
        shared.isCoordinator = false
    }
}
