import Eventide
import EventideTesting
import Testing

/// Rule 13: the three ways users test handlers that add background tasks.
@Suite struct TestClientModeTests {
    static func router(journal: Journal) -> Router {
        @Sendable func writeNotification(_ email: String, _ message: String) {
            journal.record("notification for \(email): \(message)")
        }
        let router = Router()
        router.sync.post("/send-notification/{email}") { request, tasks in
            try tasks.add(writeNotification, try request.pathParameters.require("email"), "some notification", name: "write_notification")
            return ["message": "Notification sent in the background"]
        }
        return router
    }

    @Test(arguments: [TestClient.Transport.inMemory, .live])
    func inlineRunsTasksBeforeReturning(transport: TestClient.Transport) async throws {
        let journal = Journal()
        let client = try TestClient(router: Self.router(journal: journal), taskMode: .inline, transport: transport)
        defer { #expect(throws: Never.self) { try client.shutdown() } }
        let response = try await client.execute(.post, "/send-notification/a@b.c")
        #expect(response.status == .ok)
        #expect(response.text == #"{"message":"Notification sent in the background"}"#)
        #expect(response.headers[.contentLength] == "49")
        #expect(response.headers[.contentType] == "application/json")
        #expect(response.headers.contains(.date))
        #expect(journal.all == ["notification for a@b.c: some notification"])
    }

    @Test(arguments: [TestClient.Transport.inMemory, .live])
    func deferredReturnsFirstAndDrainsLater(transport: TestClient.Transport) async throws {
        let journal = Journal()
        let gate = Gate()
        let router = Router()
        router.sync.post("/later") { _, tasks in
            try tasks.add({ _ = await gate.wait(timeout: 60); journal.record("done") }, name: "slow")  // 60 s: only a failing test gets there
            return "accepted"
        }
        let client = try TestClient(router: router, taskMode: .deferred, transport: transport)
        defer { #expect(throws: Never.self) { try client.shutdown() } }
        #expect(try await client.execute(.post, "/later").text == "accepted")
        #expect(journal.all.isEmpty)  // execute did not wait for the task
        gate.open()
        #expect(await client.drainTasks() == [.succeeded])
        #expect(journal.all == ["done"])
    }

    @Test(arguments: [TestClient.Transport.inMemory, .live])
    func capturedRecordsNamesAndArgumentsWithoutRunning(transport: TestClient.Transport) async throws {
        let journal = Journal()
        let client = try TestClient(router: Self.router(journal: journal), taskMode: .captured, transport: transport)
        defer { #expect(throws: Never.self) { try client.shutdown() } }
        _ = try await client.execute(.post, "/send-notification/x@y.z")
        let captured = client.capturedTasks
        #expect(captured.map(\.name) == ["write_notification"])
        #expect(captured.first?.arguments.map { "\($0)" } == ["x@y.z", "some notification"])
        #expect(journal.all.isEmpty)
        #expect(client.statistics.succeeded == 0)
    }

    @Test(arguments: [TestClient.Transport.inMemory, .live])
    func handlerErrorsAndMiddlewareBehaveAsOnTheServer(transport: TestClient.Transport) async throws {
        let journal = Journal()
        let router = Router()
        router.use { request, next in
            var response = try await next(request)
            response.headers.append(HTTPField(name: HTTPField.Name("X-Wrapped")!, value: "yes"))
            return response
        }
        router.sync.post("/fail") { _, tasks -> String in
            try tasks.add({ journal.record("skipped") }, name: "skipped")
            try tasks.add({ journal.record("always") }, name: "always", options: .always)
            throw HTTPError(.badRequest)
        }
        let client = try TestClient(router: router, transport: transport)
        defer { #expect(throws: Never.self) { try client.shutdown() } }
        let response = try await client.execute(.post, "/fail")
        #expect(response.status == .badRequest)
        #expect(journal.all == ["always"])
        #expect(try await client.execute(.get, "/missing").status == .notFound)
    }
}

/// `drainTasks()` waits for tasks accepted but not handed over yet, and wakes when a
/// failed request's tasks are skipped instead.
@Suite(.timeLimit(.minutes(1))) struct TestClientDrainTests {
    @Test(arguments: [TestClient.Transport.inMemory, .live])
    func drainWakesWhenAFailedRequestsTasksAreSkipped(transport: TestClient.Transport) async throws {
        let added = Watched(false)
        let gate = Gate()
        let router = Router()
        router.post("/fails-later") { _, tasks -> String in
            try tasks.add({ @Sendable () -> Void in }, name: "never-runs")
            added.update { $0 = true }
            _ = await gate.wait(timeout: 60)
            throw HTTPError(.badRequest)
        }
        let client = try TestClient(router: router, taskMode: .deferred, transport: transport)
        defer { #expect(throws: Never.self) { try client.shutdown() } }
        async let response = client.execute(.post, "/fails-later")
        #expect(await added.wait(timeout: 30) { $0 })
        #expect(client.statistics.unfinished == 1)
        async let drained = client.drainTasks()
        gate.open()
        #expect(try await response.status == .badRequest)
        #expect(await drained == [])  // nothing was started; the skipped task woke the wait
        #expect(client.statistics.skipped == 1)
    }
}

extension TestClientModeTests {
    /// A server that never answers fails the test after `readTimeout` instead of hanging it,
    /// in memory as over a socket.
    @Test(arguments: [TestClient.Transport.inMemory, .live])
    func aReadThatNeverCompletesTimesOut(transport: TestClient.Transport) async throws {
        let gate = Gate()
        let router = Router()
        router.get("/never") { _, _ in
            _ = await gate.wait(timeout: 60)  // opened at the end of the test
            return "late"
        }
        let client = try TestClient(router: router, transport: transport, readTimeout: .milliseconds(200))
        defer { #expect(throws: Never.self) { try client.shutdown() } }
        let connection = try await client.connect()
        try await connection.send("GET /never HTTP/1.1\r\nHost: a\r\n\r\n")
        await #expect(throws: TestClientError.self) { try await connection.readResponse() }
        gate.open()
        await connection.close()
    }
}
