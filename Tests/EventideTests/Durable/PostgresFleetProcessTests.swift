import Foundation
import Testing

extension ExampleProcessSuites {
    /// The example as a fleet on PostgreSQL, run as users run it: `bench --task-store
    /// postgres://... --local-workers 0` stores, `worker --store postgres://...` processes run.
    @Suite struct PostgresFleetProcessTests {
        @Test func aWebProcessStoresAndWorkerProcessesRunEvenAfterOneIsKilled() async throws {
            let url = try await PostgresTestDatabase.fresh()
            let web = try ExampleProcess(["bench", "--task-store", url, "--local-workers", "0"])
            let first = try ExampleProcess(["worker", "--store", url], upWhen: "worker running")
            let client = try RawClient(port: web.port)
            func post(_ emails: [String]) throws {
                for email in emails {
                    try client.send("POST /durable-notification/\(email) HTTP/1.1\r\nHost: x\r\n\r\n")
                    let response = try client.readResponse()
                    #expect(response.status == 200)
                }
            }
            func lines(_ worker: ExampleProcess, count: Int) -> Set<String> {
                let deadline = Date(timeIntervalSinceNow: 20)
                while Date() < deadline, worker.file("log.txt").split(separator: "\n").count < count {
                    Thread.sleep(forTimeInterval: 0.05)
                }
                return Set(worker.file("log.txt").split(separator: "\n").map(String.init))
            }
            let early = (0..<10).map { "early\($0)@example.com" }
            try post(early)
            #expect(lines(first, count: early.count) == Set(early.map { "notification for \($0): some notification" }))
            first.signal(SIGKILL)
            #expect(first.waitForExit() != 0)
            // Stored while no worker runs; a new worker (woken by its first look) runs them.
            let late = (0..<10).map { "late\($0)@example.com" }
            try post(late)
            let second = try ExampleProcess(["worker", "--store", url, "--queues", "default:4"], upWhen: "worker running")
            #expect(lines(second, count: late.count) == Set(late.map { "notification for \($0): some notification" }))
            second.signal(SIGTERM)
            #expect(second.waitForExit() == 0)
            #expect(second.log.contains("workers stopped"))
            web.signal(SIGTERM)
            #expect(web.waitForExit() == 0)
        }

        @Test func aMalformedQueuesOptionIsAClearErrorNotACrash() throws {
            let worker = Process()
            worker.executableURL = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                .deletingLastPathComponent().appendingPathComponent("eventide-example")
            worker.arguments = ["worker", "--store", "postgres://127.0.0.1:1/none", "--queues", "mail:x"]
            let errors = Pipe()
            worker.standardError = errors
            try worker.run()
            worker.waitUntilExit()
            let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(worker.terminationStatus != 0)
            #expect(text.contains("--queues takes name:count pairs"))
        }
    }
}
