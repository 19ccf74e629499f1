import Eventide
import EventidePostgres
import EventideTesting
import Foundation
import Logging
import Testing

/// A fleet on one PostgreSQL database, in one test process: a web queue that only stores
/// (`workers: .none`) behind a live server, worker queues that run, your own transaction.
@Suite struct PostgresTaskQueueTests {
    struct Welcome: DurableTask {
        static let name = "welcome"
        var email: String
        func run(_ context: DurableTaskContext) async throws {
            PostgresTaskQueueTests.sent.update { $0.append("\(email) attempt \(context.attempt)") }
        }
    }

    static let sent = Watched<[String]>([])

    /// Ends a moment after it starts (shutdown waits for it).
    struct Brief: DurableTask {
        static let name = "brief"
        var tag: String
        func run(_ context: DurableTaskContext) async throws {
            PostgresTaskQueueTests.sent.update { $0.append(tag) }
            try await Task.sleep(for: .milliseconds(300))
        }
    }

    static func queue(_ url: String, workers: TaskQueue.Workers) throws -> TaskQueue {
        try TaskQueue(
            store: .postgres(url, settings: PostgresStoreSettings(heartbeatInterval: .milliseconds(200), heartbeatTimeout: .seconds(2))),
            tasks: [Welcome.self], workers: workers, configuration: TaskQueue.Configuration(pollInterval: .seconds(5)))
    }

    @Test func aRequestsTaskIsCommittedBeforeTheAnswerAndRunByAWorkerProcessWokenByNotify() async throws {
        let url = try await PostgresTestDatabase.fresh()
        let web = try Self.queue(url, workers: .none)
        let worker = try Self.queue(url, workers: .local(concurrency: 4))
        worker.start()
        let router = Router()
        router.sync.post("/signup/{email}") { request, tasks in
            try tasks.add(durable: Welcome(email: try request.pathParameters.require("email")))
            return HTTPResponse.Status.accepted
        }
        let client = try TestClient(router: router, transport: .live, configuration: ServerConfiguration(taskQueue: web))
        let email = "pg-\(UUID().uuidString.prefix(8))@b.c"
        let started = ContinuousClock.now
        #expect(try await client.execute(.post, "/signup/\(email)").status == .accepted)
        // Answered, so committed: another connection sees it at once.
        let stored = try await web.counts().values.flatMap(\.values).reduce(0, +)
        #expect(stored == 1)
        // The worker polls every 5 s: running well before means NOTIFY woke it.
        #expect(await Self.sent.wait(timeout: 4) { $0.contains("\(email) attempt 1") })
        #expect(ContinuousClock.now - started < .seconds(4))
        try client.shutdown()
        await web.shutdown()
        await worker.shutdown()
    }

    @Test func tasksEnqueuedInYourTransactionExistOnlyIfItCommits() async throws {
        let url = try await PostgresTestDatabase.fresh()
        let queue = try Self.queue(url, workers: .none)
        let client = try #require(queue.postgres)
        try await queue.migrate()
        _ = try await client.query("CREATE TABLE users (email text PRIMARY KEY)")
        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            try await client.withTransaction { transaction in
                _ = try await transaction.query("INSERT INTO users (email) VALUES ($1)", [.text("rolled@b.c")])
                try await queue.enqueue(Welcome(email: "rolled@b.c"), in: transaction)
                throw Refused()
            }
        }
        #expect(try await queue.counts().isEmpty)
        let receipt = try await client.withTransaction { transaction in
            _ = try await transaction.query("INSERT INTO users (email) VALUES ($1)", [.text("kept@b.c")])
            return try await queue.enqueue(Welcome(email: "kept@b.c"), options: .init(uniqueKey: "kept"), in: transaction)
        }
        #expect(try await queue.task(id: receipt.id)?.state == .available)
        #expect(try await client.query("SELECT email FROM users").count == 1)
        await queue.shutdown()
    }

    @Test func aPausedQueueWaitsAndResumes() async throws {
        let url = try await PostgresTestDatabase.fresh()
        let queue = try Self.queue(url, workers: .local(concurrency: 2))
        try await queue.migrate()
        try await queue.pause(queue: "default")
        queue.start()
        let email = "paused-\(UUID().uuidString.prefix(8))@b.c"
        let receipt = try await queue.enqueue(Welcome(email: email))
        try await Task.sleep(for: .milliseconds(500))
        #expect(try await queue.task(id: receipt.id)?.state == .available)
        try await queue.resume(queue: "default")
        #expect(await Self.sent.wait(timeout: 4) { $0.contains("\(email) attempt 1") })
        await queue.shutdown()
    }

    @Test func runsThatEndDuringShutdownHaveTheirResultsStoredBeforeTheWorkerLeaves() async throws {
        let url = try await PostgresTestDatabase.fresh()
        let settings = PostgresStoreSettings(heartbeatInterval: .milliseconds(200), heartbeatTimeout: .seconds(2))
        let worker = try TaskQueue(
            store: .postgres(url, settings: settings), tasks: [Brief.self], workers: .local(concurrency: 40),
            configuration: TaskQueue.Configuration(shutdownTimeout: .seconds(5)))
        worker.start()
        let tag = "brief-\(UUID().uuidString.prefix(8))"
        _ = try await worker.enqueue((0..<40).map { _ in Brief(tag: tag) as any DurableTask })
        #expect(await Self.sent.wait(timeout: 10) { $0.filter { $0 == tag }.count == 40 })
        // Every run is under way; another session holds their rows for a second, so their
        // results queue up in the store as the runs end, inside the shutdown timeout. The
        // store must not close before they are stored.
        let blocker = try PostgresClient(try PostgresConnectionString(url), size: 1, logger: Logger(label: "test-blocker"))
        let holding = Task {
            try await blocker.withTransaction { transaction in
                _ = try await transaction.query("SELECT id FROM eventide_tasks FOR UPDATE")
                try await Task.sleep(for: .seconds(1))
            }
        }
        #expect(await worker.shutdown() == 0)
        try await holding.value
        await blocker.close()
        let reader = try TaskQueue(store: .postgres(url, settings: settings), tasks: [Brief.self], workers: .none)
        let counts = try await reader.counts()
        #expect(counts["default"]?[.completed] == 40)
        #expect(counts["default"]?[.running] == nil)
        await reader.shutdown()
    }
}
