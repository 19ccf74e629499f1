import Foundation

/// Runs `eventide-example` (built next to the test bundle) with a subcommand on a free
/// port, and finds the port in its "listening" log line.
final class ExampleProcess {
    let process = Process()
    let port: Int
    let workdir: URL
    private let stderr = Pipe()
    private let output = LockedText()

    struct LaunchError: Error, CustomStringConvertible {
        let description: String
    }

    init(_ arguments: [String]) throws {
        let executable = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            .deletingLastPathComponent().appendingPathComponent("eventide-example")
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw LaunchError(description: "\(executable.path) not built: run `swift build` before `swift test`")
        }
        workdir = FileManager.default.temporaryDirectory.appendingPathComponent("eventide-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: workdir, withIntermediateDirectories: true)
        process.executableURL = executable
        process.arguments = arguments + ["--port", "0", "--workdir", workdir.path, "--log-level", "info"]
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        let output = self.output
        stderr.fileHandleForReading.readabilityHandler = { handle in output.append(String(decoding: handle.availableData, as: UTF8.self)) }
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        var found: Int?
        while found == nil && Date() < deadline {
            if let range = output.text.range(of: #"address=127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                found = Int(output.text[range].split(separator: ":").last!)
            } else {
                usleep(20_000)
            }
        }
        guard let found else {
            process.terminate()
            throw LaunchError(description: "no listening line; stderr: \(output.text)")
        }
        port = found
    }

    /// Everything the process wrote to stderr so far.
    var log: String { output.text }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Waits for exit (up to `timeout` seconds) and returns the exit status.
    func waitForExit(timeout: Double = 15) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        guard !process.isRunning else {
            process.terminate()
            return nil
        }
        usleep(50_000)  // let the readability handler take the last lines
        return process.terminationStatus
    }

    func file(_ name: String) -> String {
        (try? String(contentsOf: workdir.appendingPathComponent(name), encoding: .utf8)) ?? ""
    }

    deinit {
        if process.isRunning { process.terminate() }
        try? FileManager.default.removeItem(at: workdir)
    }
}

final class LockedText: @unchecked Sendable {
    // @unchecked: `value` is only touched under `lock`.
    private let lock = NSLock()
    private var value = ""

    func append(_ text: String) { lock.withLock { value += text } }
    var text: String { lock.withLock { value } }
}
