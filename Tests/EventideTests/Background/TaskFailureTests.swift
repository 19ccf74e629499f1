import Eventide
import Foundation
import Synchronization
import Testing

/// Rules 6, 8 and 9: failures are isolated, failed handlers skip their tasks unless
/// `always`, a full queue answers 503 and loses nothing it accepted.
@Suite struct TaskFailureTests {
    struct Boom: Error {}

    static func router(ran: Journal) -> Router {
        let router = Router()
        router.sync.post("/mixed") { _, tasks in
            try tasks.add({ ran.record("first") }, name: "first")
            try tasks.add({ throw Boom() }, name: "exploding")
            try tasks.add({ ran.record("third") }, name: "third")
            return "ok"
        }
        router.sync.post("/fails") { _, tasks -> String in
            try tasks.add({ ran.record("normal") }, name: "normal")
            try tasks.add({ ran.record("cleanup") }, name: "cleanup", options: .always)
            throw HTTPError(.conflict, "nope")
        }
        router.sync.post("/error-status") { _, tasks in
            try tasks.add({ ran.record("after-500") }, name: "after-500")
            return Response(status: .internalServerError)
        }
        return router
    }

    @Test func aThrowingTaskIsLoggedOnceAndLaterTasksStillRun() throws {
        let ran = Journal()
        let recorder = LogRecorder()
        let failures = Journal()
        let server = try TestServer(Self.router(ran: ran), logger: recorder.logger()) {
            $0.backgroundTasks.onFailure = { failure in failures.record("\(failure.taskName) \(failure.requestID)") }
        }
        let client = try server.client()
        try client.send("POST /mixed HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().text == "ok")
        let report = try server.stop()
        #expect(ran.all == ["first", "third"])
        let errors = recorder.records.filter { $0.message == "background task failed" }
        #expect(errors.count == 1)
        #expect(errors.first?.metadata["task"] == "exploding")
        #expect(errors.first?.metadata["request-id"] == "0-1")
        #expect(failures.all == ["exploding 0-1"])
        #expect(report.statistics.failed == 1)
        #expect(report.statistics.succeeded == 2)
    }

    /// `onFailure` runs where the request's task list runs: on the pool thread that ran
    /// the failing task when every task is a blocking pool one, else on the loop.
    @Test func onFailureRunsWhereTheTaskListRuns() throws {
        let threads = Journal()
        @Sendable func thread() -> String { "\(pthread_self())" }
        let router = Router()
        router.sync.post("/pool-only") { _, tasks in
            threads.record("loop \(thread())")
            try tasks.add({ threads.record("task \(thread())"); throw Boom() }, name: "pool-only")
            return "ok"
        }
        router.sync.post("/mixed") { _, tasks in
            try tasks.add({} as @Sendable () async -> Void, name: "async")
            try tasks.add({ throw Boom() }, name: "mixed")
            return "ok"
        }
        let server = try TestServer(router) {
            $0.backgroundTasks.onFailure = { failure in threads.record("\(failure.taskName) \(thread())") }
        }
        let client = try server.client()
        for path in ["/pool-only", "/mixed"] {
            try client.send("POST \(path) HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().text == "ok")
        }
        try server.stop()
        let thread = Dictionary(threads.all.map { ($0.split(separator: " ")[0], $0.split(separator: " ")[1]) }) { first, _ in first }
        #expect(thread.count == 4)
        #expect(thread["pool-only"] == thread["task"])
        #expect(thread["pool-only"] != thread["loop"])
        #expect(thread["mixed"] == thread["loop"])
    }

    @Test func theConnectionStaysUsableAfterAFailingTask() throws {
        let ran = Journal()
        let server = try TestServer(Self.router(ran: ran))
        defer { #expect(throws: Never.self) { try server.stop() } }
        let client = try server.client()
        for _ in 0..<3 {
            try client.send("POST /mixed HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.text == "ok")
            #expect(response.headers["connection"] == nil)
        }
    }

    @Test func stopOnFirstErrorSkipsTheRestLikeStarlette() throws {
        let ran = Journal()
        let server = try TestServer(Self.router(ran: ran)) { $0.backgroundTasks.stopOnFirstError = true }
        let client = try server.client()
        try client.send("POST /mixed HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().text == "ok")
        let report = try server.stop()
        #expect(ran.all == ["first"])
        #expect(report.statistics.skipped == 1)
    }

    @Test func failedHandlersSkipTheirTasksExceptAlways() throws {
        let ran = Journal()
        let recorder = LogRecorder()
        let server = try TestServer(Self.router(ran: ran), logger: recorder.logger())
        let client = try server.client()
        try client.send("POST /fails HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().status == 409)
        try client.send("POST /error-status HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().status == 500)
        let report = try server.stop()
        #expect(ran.all == ["cleanup"])
        #expect(report.statistics.skipped == 2)
        let skipped = recorder.records.filter { $0.message == "background tasks skipped: request failed" }
        #expect(skipped.count == 2)
        #expect(skipped.allSatisfy { $0.level == .debug })
    }

    @Test func aFullQueueAnswers503WithRetryAfterAndLosesNothingAccepted() throws {
        let gate = Gate()
        let completed = Atomic<Int>(0)
        let router = Router()
        router.sync.post("/work") { _, tasks in
            try tasks.add({
                // Held until the test has seen the queue full (a task held past 15 s fails).
                guard gate.wait(timeout: 15) else { throw CancellationError() }
                completed.add(1, ordering: .relaxed)
            }, name: "gated")
            return "accepted"
        }
        let server = try TestServer(router) {
            $0.backgroundTasks.maxPendingTasks = 2
            $0.backgroundTasks.retryAfterSeconds = 7
        }
        let client = try server.client()
        var statuses: [Int] = []
        var retryAfter: String?
        for _ in 0..<4 {
            try client.send("POST /work HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = try client.readResponse()
            statuses.append(response.status)
            if response.status == 503 { retryAfter = response.headers["retry-after"] }
        }
        #expect(statuses == [200, 200, 503, 503])
        #expect(retryAfter == "7")
        gate.open()
        let report = try server.stop()
        #expect(completed.load(ordering: .relaxed) == 2)
        #expect(report.statistics.rejected == 2)
        #expect(report.statistics.succeeded == 2)
        #expect(report.drainedCompletely)
    }
}
