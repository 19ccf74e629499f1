import Foundation
import Testing

/// `eventide-example embedded-host` and `threaded-app` as processes: they serve, stop
/// cleanly (exit 0: the loop closed with no handle left, the drain was complete) and
/// print their summary.
@Suite struct EmbeddingExampleTests {
    @Test func embeddedHostServesThenPrintsItsTicksLast() throws {
        let (status, output) = try runExample(["embedded-host", "--seconds", "1.2"]) { (port: Int) throws in
            #expect(try oneShotRequest(port, "GET", "/plaintext").text == "Hello, World!")
            #expect(try oneShotRequest(port, "POST", "/send-notification/ada@example.com").status == 200)
        }
        #expect(status == 0)
        let last = output.split(separator: "\n").last.map(String.init) ?? ""
        #expect(last.wholeMatch(of: /ticks: \d+, max gap: \d+\.\d ms/) != nil, "last line: \(last)")
        let ticks = Int(last.firstMatch(of: /ticks: (\d+)/)?.1 ?? "") ?? 0
        #expect((8...13).contains(ticks))
        #expect(output.contains("background tasks succeeded 1,"))
    }

    @Test func threadedAppSubmitsWorkAndStopsWithADrain() throws {
        let (status, output) = try runExample(["threaded-app", "--seconds", "0.3"]) { (port: Int) throws in
            #expect(try oneShotRequest(port, "POST", "/send-notification/bo@example.com").status == 200)
        }
        #expect(status == 0)
        #expect(output.contains("100 of 100 checked on the loop thread"))
        #expect(output.contains("stopped: drained true"))
        #expect(output.contains("submit after stop: refused"))
    }

    /// Runs the example on port 0, calls `whileRunning` with its port once it listens,
    /// and returns its exit status and standard output.
    private func runExample(_ arguments: [String], whileRunning: (Int) throws -> Void) throws -> (Int32, String) {
        let executable = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            .deletingLastPathComponent().appendingPathComponent("eventide-example")
        let workdir = FileManager.default.temporaryDirectory.appendingPathComponent("eventide-embed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: workdir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: workdir) }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments + ["--port", "0", "--workdir", workdir.path, "--log-level", "info"]
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        let log = PipeText(stderr)
        let port = log.firstMatch(of: /address=127\.0\.0\.1:(\d+)/).flatMap { Int($0) }
        let listening = try #require(port, "no listening line: \(log.text)")
        try whileRunning(listening)
        let output = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }
}
