import Eventide
import Foundation
import Synchronization
import Testing

/// Rules 3, 4 and 7: one collection per request shared with dependencies at any depth,
/// run in the order added, response-carried tasks last; requests run concurrently.
@Suite struct TaskOrderTests {
    @Test func dependencySubDependencyHandlerAndResponseTasksRunInOrder() async throws {
        let journal = Journal()
        @Sendable func note(_ text: String) { journal.record(text) }
        @Sendable func slowNote(_ text: String) async throws {
            try await Task.sleep(for: .milliseconds(30))
            journal.record(text)
        }
        let user = Dependency<String> { request, tasks in
            try tasks.add(note, "sub-dependency")
            return request.headers[HTTPField.Name("X-User")!] ?? "anonymous"
        }
        let audit = Dependency<Int> { request, tasks in
            let name = try await request.resolve(user)
            try tasks.add(slowNote, "dependency for \(name)")
            return name.count
        }
        let router = Router()
        router.post("/order", using: audit, user) { request, tasks, length, name in
            try tasks.add(note, "handler \(name) \(length)")
            var response = Response.text("ok")
            response.background.append(BackgroundTask(note, "response"))
            return response
        }
        let server = try TestServer(router)
        let client = try server.client()
        try client.send("POST /order HTTP/1.1\r\nHost: x\r\nX-User: ada\r\n\r\n")
        #expect(try client.readResponse().text == "ok")
        try server.stop()
        // `user` was resolved once (by `audit`), so its task was added once.
        #expect(journal.all == ["sub-dependency", "dependency for ada", "handler ada 3", "response"])
    }

    /// A keep-alive connection's next request gets its own collection and dependency
    /// cache (see also `RequestContextReuseTests`).
    @Test func theNextRequestOnAConnectionStartsWithNoTasksAndNoCachedDependencies() async throws {
        let journal = Journal()
        @Sendable func note(_ text: String) { journal.record(text) }
        let user = Dependency<String> { request, tasks in
            let name = request.headers[HTTPField.Name("X-User")!] ?? "anonymous"
            try tasks.add(note, "dependency \(name)")
            return name
        }
        let router = Router()
        router.post("/order", using: user) { _, tasks, name in
            try tasks.add(note, "handler \(name)")
            return Response.text(name)
        }
        let server = try TestServer(router)
        let client = try server.client()
        for name in ["ada", "bob"] {
            try client.send("POST /order HTTP/1.1\r\nHost: x\r\nX-User: \(name)\r\n\r\n")
            #expect(try client.readResponse().text == name)
        }
        try server.stop()
        #expect(journal.all == ["dependency ada", "handler ada", "dependency bob", "handler bob"])
    }

    @Test func tasksOfTwoRequestsRunConcurrently() throws {
        let arrived = Watched(0)
        let router = Router()
        router.sync.post("/meet") { _, tasks in
            // Each task waits for the other: only concurrent execution lets both finish.
            try tasks.add({
                arrived.update { $0 += 1 }
                guard arrived.wait(timeout: 3, until: { $0 == 2 }) else { throw CancellationError() }
            }, name: "rendezvous")
            return "ok"
        }
        let server = try TestServer(router)
        for _ in 0..<2 {
            let client = try server.client()
            try client.send("POST /meet HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().text == "ok")
        }
        let report = try server.stop()
        #expect(report.statistics.succeeded == 2)
        #expect(report.statistics.failed == 0)
    }
}
