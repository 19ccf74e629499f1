import Foundation

/// Runs `eventide-example` (built next to the test bundle) with a subcommand on a free
/// port, and finds the port in its "listening" log line.
final class ExampleProcess {
    let process = Process()
    let port: Int
    let workdir: URL
    private let stderr = Pipe()
    private let output: PipeText
    private let exited = Gate()
    /// Whether this process made `workdir` (and removes it when done).
    private let ownsWorkdir: Bool

    struct LaunchError: Error, CustomStringConvertible {
        let description: String
    }

    /// `workdir`: a directory to share with an earlier process (a restart); by default a
    /// new one, removed afterwards. `listening` is the line that says the process is up
    /// (nil: a server's "listening" line, whose port is read; a `worker` has no port).
    init(_ arguments: [String], workdir shared: URL? = nil, upWhen listening: String? = nil) throws {
        let executable = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            .deletingLastPathComponent().appendingPathComponent("eventide-example")
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw LaunchError(description: "\(executable.path) not built: run `swift build` before `swift test`")
        }
        ownsWorkdir = shared == nil
        workdir = shared ?? FileManager.default.temporaryDirectory.appendingPathComponent("eventide-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: workdir, withIntermediateDirectories: true)
        process.executableURL = executable
        process.arguments = arguments + (listening == nil ? ["--port", "0"] : []) + ["--workdir", workdir.path, "--log-level", "info"]
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        let exited = self.exited
        process.terminationHandler = { _ in exited.open() }
        try process.run()
        output = PipeText(stderr)
        if let listening {
            port = 0
            guard output.wait(for: listening, timeout: 15) else {
                process.terminate()
                throw LaunchError(description: "no \"\(listening)\" line; stderr: \(output.text)")
            }
            return
        }
        guard let found = output.firstMatch(of: /address=127\.0\.0\.1:(\d+)/).flatMap({ Int($0) }) else {
            process.terminate()
            throw LaunchError(description: "no listening line; stderr: \(output.text)")
        }
        port = found
    }

    /// Everything the process wrote to stderr so far.
    var log: String { output.text }

    /// Waits (up to `timeout` seconds) until stderr contains `line`; returns whether it does.
    func waitForLog(_ line: String, timeout: Double = 10) -> Bool { output.wait(for: line, timeout: timeout) }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Waits for exit (up to `timeout` seconds) and returns the exit status.
    func waitForExit(timeout: Double = 15) -> Int32? {
        guard exited.wait(timeout: timeout) else {
            process.terminate()
            return nil
        }
        // The last lines: stderr ends once the process is gone.
        _ = output.waitForEnd(timeout: 5)
        return process.terminationStatus
    }

    func file(_ name: String) -> String {
        (try? String(contentsOf: workdir.appendingPathComponent(name), encoding: .utf8)) ?? ""
    }

    deinit {
        if process.isRunning { process.terminate() }
        if ownsWorkdir { try? FileManager.default.removeItem(at: workdir) }
    }
}
