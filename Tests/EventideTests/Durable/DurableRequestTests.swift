import Eventide
import EventideTesting
import Foundation
import Testing

/// `tasks.add(durable:)` in a request: committed before the response leaves, over a
/// socket and in memory, with the request's outcome rules and a failing store.
@Suite struct DurableRequestTests {
    struct Welcome: DurableTask {
        static let name = "welcome"
        var email: String
        func run(_ context: DurableTaskContext) async throws {
            DurableRequestTests.sent.update { $0.append(email) }
        }
    }

    /// Blocks its pool thread until its gate opens.
    struct Hold: BlockingDurableTask {
        static let name = "hold"
        var gate: String
        func run(_ context: DurableTaskContext) throws {
            _ = DurableRequestTests.gate(gate).wait(timeout: 20)
            DurableRequestTests.sent.update { $0.append(gate) }
        }
    }

    static let gates = Watched<[String: Gate]>([:])
    static func gate(_ name: String) -> Gate { gates.entry(name) { Gate() } }

    struct NotRegistered: DurableTask {
        static let name = "not_registered"
        func run(_ context: DurableTaskContext) async throws {}
    }

    static let sent = Watched<[String]>([])

    static func router(journal: Journal) -> Router {
        let router = Router()
        router.sync.post("/signup/{email}") { request, tasks in
            let email = try request.pathParameters.require("email")
            try tasks.add(durable: Welcome(email: email), options: .init(uniqueKey: "welcome:\(email)"))
            try tasks.add({ journal.record("in-process for \(email)") })
            return HTTPResponse.Status.accepted
        }
        router.post("/refused/{email}") { request, tasks -> String in
            try tasks.add(durable: Welcome(email: try request.pathParameters.require("email")))
            throw HTTPError(.conflict, "taken")
        }
        router.post("/always/{email}") { request, tasks in
            try tasks.add(durable: Welcome(email: try request.pathParameters.require("email")), options: .init(always: true))
            return Response.text("bad", status: .badRequest)
        }
        router.sync.post("/hold/{gate}") { request, tasks in
            try tasks.add(durable: Hold(gate: try request.pathParameters.require("gate")))
            return HTTPResponse.Status.accepted
        }
        router.sync.post("/unregistered") { _, tasks in
            try tasks.add(durable: NotRegistered())
            return "never"
        }
        return router
    }

    func withQueue<Result>(
        workers: TaskQueue.Workers = .none, maxQueued: Int? = 1_000_000, _ body: (TaskQueue) async throws -> Result
    ) async throws -> Result {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("eventide-durable-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let queue = try TaskQueue(
            store: .sqlite(path: directory.appendingPathComponent("tasks.db").path), tasks: [Welcome.self, Hold.self], workers: workers,
            configuration: TaskQueue.Configuration(pollInterval: .milliseconds(20), maxQueued: maxQueued))
        let result = try await body(queue)
        await queue.shutdown()
        return result
    }

    func stored(_ queue: TaskQueue) async throws -> Int {
        try await queue.counts().values.flatMap(\.values).reduce(0, +)
    }

    @Test(arguments: [TestClient.Transport.inMemory, .live])
    func theResponseLeavesAfterTheCommit(transport: TestClient.Transport) async throws {
        try await withQueue { queue in
            let journal = Journal()
            let client = try TestClient(
                router: Self.router(journal: journal), transport: transport, configuration: ServerConfiguration(taskQueue: queue))
            defer { #expect(throws: Never.self) { try client.shutdown() } }
            let response = try await client.execute(.post, "/signup/a@b.c")
            #expect(response.status == .accepted)
            // Answered, so stored: no wait.
            #expect(try await queue.counts()["default"]?[.available] == 1)
            #expect(journal.all == ["in-process for a@b.c"])
            // The same key again: answered, nothing added.
            #expect(try await client.execute(.post, "/signup/a@b.c").status == .accepted)
            #expect(try await stored(queue) == 1)
        }
    }

    @Test func aFailedRequestCommitsOnlyItsAlwaysTasks() async throws {
        try await withQueue { queue in
            let client = try TestClient(router: Self.router(journal: Journal()), configuration: ServerConfiguration(taskQueue: queue))
            defer { #expect(throws: Never.self) { try client.shutdown() } }
            #expect(try await client.execute(.post, "/refused/x@y.z").status == .conflict)
            #expect(try await stored(queue) == 0)
            #expect(try await client.execute(.post, "/always/x@y.z").status == .badRequest)
            #expect(try await stored(queue) == 1)
        }
    }

    @Test func aFailedCommitAnswers503AndStoresNothing() async throws {
        try await withQueue { queue in
            let journal = Journal()
            let client = try TestClient(
                router: Self.router(journal: journal), transport: .live, configuration: ServerConfiguration(taskQueue: queue))
            defer { #expect(throws: Never.self) { try client.shutdown() } }
            // The file may not grow: as on a full disk, the commit fails.
            try await queue.sqliteStore.perform { table, _ in
                let pages = try table.connection.query("PRAGMA page_count") { $0.int(at: 0) }.first ?? 1
                try table.connection.execute("PRAGMA max_page_count = \(pages)")
            }
            var refused: EventideTesting.TestResponse?
            for i in 0..<200 {  // until the pages the file had are full
                let response = try await client.execute(.post, "/signup/user\(i)-\(String(repeating: "x", count: 400))@b.c")
                if response.status == .serviceUnavailable {
                    refused = response
                    break
                }
            }
            let response = try #require(refused)
            #expect(response.headers[.retryAfter] == "1")
            let before = try await stored(queue)
            // The cause goes away: the server answers again and stores again.
            try await queue.sqliteStore.perform { table, _ in try table.connection.execute("PRAGMA max_page_count = 1073741823") }
            #expect(try await client.execute(.post, "/signup/again@b.c").status == .accepted)
            #expect(try await stored(queue) == before + 1)
            // The refused request's in-process task did not run either.
            #expect(journal.all.count == before + 1)
        }
    }

    @Test func aFullStoreAnswers503WithRetryAfterOverASocket() async throws {
        try await withQueue(maxQueued: 2) { queue in
            let journal = Journal()
            let client = try TestClient(
                router: Self.router(journal: journal), transport: .live, configuration: ServerConfiguration(taskQueue: queue))
            defer { #expect(throws: Never.self) { try client.shutdown() } }
            #expect(try await client.execute(.post, "/signup/a@b.c").status == .accepted)
            #expect(try await client.execute(.post, "/signup/b@b.c").status == .accepted)
            let refused = try await client.execute(.post, "/signup/c@b.c")
            #expect(refused.status == .serviceUnavailable)
            #expect(refused.headers[.retryAfter] == "1")
            #expect(try await stored(queue) == 2)
            // The refused request's in-process task did not run either.
            #expect(journal.all == ["in-process for a@b.c", "in-process for b@b.c"])
            // A task leaving the queue makes room again.
            #expect(try await queue.cancel(id: 1) == .cancelled)
            #expect(try await client.execute(.post, "/signup/c@b.c").status == .accepted)
        }
    }

    @Test func durableTasksWithoutAQueueOrUnregisteredAnswer500() async throws {
        try await withQueue { queue in
            let withoutQueue = try TestClient(router: Self.router(journal: Journal()))
            defer { #expect(throws: Never.self) { try withoutQueue.shutdown() } }
            #expect(try await withoutQueue.execute(.post, "/signup/a@b.c").status == .internalServerError)
            let client = try TestClient(router: Self.router(journal: Journal()), configuration: ServerConfiguration(taskQueue: queue))
            defer { #expect(throws: Never.self) { try client.shutdown() } }
            #expect(try await client.execute(.post, "/unregistered").status == .internalServerError)
            #expect(try await stored(queue) == 0)
        }
    }

    @Test func aCommittedTaskRunsOnTheQueuesWorkers() async throws {
        try await withQueue(workers: .local(concurrency: 2)) { queue in
            let client = try TestClient(
                router: Self.router(journal: Journal()), transport: .live, configuration: ServerConfiguration(taskQueue: queue))
            defer { #expect(throws: Never.self) { try client.shutdown() } }
            let email = "worker-\(UUID())@b.c"
            #expect(try await client.execute(.post, "/signup/\(email)").status == .accepted)
            #expect(await Self.sent.wait(timeout: 20) { $0.contains(email) })
        }
    }

    @Test func aTaskGoesStraightToAFreeWorkerElseWaitsForOne() async throws {
        try await withQueue(workers: .local(concurrency: 1)) { queue in
            let client = try TestClient(
                router: Self.router(journal: Journal()), transport: .live, configuration: ServerConfiguration(taskQueue: queue))
            defer { #expect(throws: Never.self) { try client.shutdown() } }
            let (first, second, third) = ("first-\(UUID())", "second-\(UUID())", "third-\(UUID())")
            // Once the worker is idle (its start-up claim found nothing), a task is stored
            // running for it: no claim in between (attempted when created). A task claimed
            // within the millisecond it was stored looks the same, but the claim that took
            // it leaves the worker looking for more (its one slot was filled) until a claim
            // finds none: each pause, many poll intervals (20 ms) long, lets that end, so
            // the worker is idle again when the next task comes.
            var id: Int64 = 0
            var handedOff = false
            while !handedOff && id < 50 {
                #expect(try await client.execute(.post, "/signup/idle\(id)-\(UUID())@b.c").status == .accepted)
                id += 1
                let record = try await settled(queue, id)
                handedOff = record.attemptedAt == record.createdAt
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(handedOff)
            #expect(try await client.execute(.post, "/hold/\(first)").status == .accepted)
            let held = try #require(try await queue.task(id: id + 1))
            #expect(held.state == .running && held.attempt == 1 && held.attemptedAt == held.createdAt)
            // Its only slot is taken: the next task is taken too, and waits in this process
            // for the slot (as many as the slots, here one)...
            #expect(try await client.execute(.post, "/hold/\(second)").status == .accepted)
            #expect(try await queue.task(id: id + 2)?.state == .running)
            // ...and the one after waits in the store, available, for a claim.
            #expect(try await client.execute(.post, "/hold/\(third)").status == .accepted)
            #expect(try await queue.task(id: id + 3)?.state == .available)
            try await Task.sleep(for: .milliseconds(50))
            #expect(!Self.sent.current.contains(second))  // waiting, not running: one slot
            Self.gate(first).open()
            Self.gate(second).open()
            Self.gate(third).open()
            #expect(await Self.sent.wait(timeout: 20) { $0.contains(third) })
            #expect(Self.sent.current.filter { [first, second, third].contains($0) } == [first, second, third])
            let claimed = try #require(try await queue.task(id: id + 3))
            #expect(claimed.attempt == 1 && claimed.attemptedAt.map { $0 >= claimed.createdAt } == true)
        }
    }
}
