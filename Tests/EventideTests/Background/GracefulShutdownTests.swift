import Foundation
import Testing

extension ExampleProcessSuites {
    /// Rule 10 with the example process and real signals.
    @Suite struct GracefulShutdownTests {
        @Test func sigtermDrainsPendingTasksAndExitsZero() throws {
            let app = try ExampleProcess(["bench", "--pool-threads", "2", "--shutdown-timeout", "10"])
            let client = try RawClient(port: app.port)
            for _ in 0..<6 {
                try client.send("POST /slow/300 HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(try client.readResponse().status == 202)
            }
            // Six 300 ms tasks on two threads: about 900 ms of work still pending.
            app.signal(SIGTERM)
            #expect(app.waitForExit() == 0)
            #expect(app.file("slow.txt").split(separator: "\n").count == 6)
            #expect(app.log.contains("signal received: shutting down"))
        }

        @Test func tasksPastTheDeadlineAreNamedAndTheExitStatusSaysSo() throws {
            let app = try ExampleProcess(["bench", "--pool-threads", "1", "--shutdown-timeout", "1"])
            let client = try RawClient(port: app.port)
            for _ in 0..<3 {
                try client.send("POST /slow/1500 HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(try client.readResponse().status == 202)
            }
            app.signal(SIGTERM)
            #expect(app.waitForExit() == 1)
            #expect(app.log.contains("background tasks did not finish before the deadline"))
            #expect(app.log.contains("count=3") || app.log.contains("count=2"))
            #expect(app.log.contains("slow_task"))
        }

        @Test func aSecondSignalExitsAtOnce() throws {
            let app = try ExampleProcess(["bench", "--pool-threads", "1", "--shutdown-timeout", "30"])
            let client = try RawClient(port: app.port)
            try client.send("POST /slow/20000 HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().status == 202)
            app.signal(SIGTERM)
            // The first signal has been handled once the app says so.
            #expect(app.waitForLog("signal received: shutting down"))
            let start = Date()
            app.signal(SIGTERM)
            let status = app.waitForExit(timeout: 5)
            #expect(status != nil && status != 0)
            #expect(Date().timeIntervalSince(start) < 2)
            #expect(app.log.contains("second signal: exiting now"))
        }
    }
}
