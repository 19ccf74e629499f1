import EventidePostgres
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing

/// A second throw-away cluster that one test may stop and start without disturbing the
/// others (which share the one `scripts/with-postgres.sh` started). Made with the same
/// binaries and user (`EVENTIDE_TEST_POSTGRES_BIN`, `EVENTIDE_TEST_POSTGRES_RUNAS`).
final class ScratchCluster: Sendable {
    let directory: String
    let port: Int
    let url: PostgresConnectionString
    private let bin: String
    private let runAs: String

    init() async throws {
        _ = try TestDatabase.url()
        let environment = ProcessInfo.processInfo.environment
        bin = environment["EVENTIDE_TEST_POSTGRES_BIN"] ?? ""
        runAs = environment["EVENTIDE_TEST_POSTGRES_RUNAS"] ?? ""
        directory = NSTemporaryDirectory() + "eventide-scratch-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if !runAs.isEmpty { try await Self.shell(["chown", runAs, directory]) }
        port = Self.unusedPort()
        url = try PostgresConnectionString("postgres://postgres@127.0.0.1:\(port)/postgres")
        try await pg(["\(bin)/initdb", "-D", "\(directory)/data", "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C"])
        let settings = """
            port = \(port)
            listen_addresses = '127.0.0.1'
            unix_socket_directories = '\(directory)'
            fsync = off
            """
        let config = try FileHandle(forWritingTo: URL(fileURLWithPath: "\(directory)/data/postgresql.conf"))
        try config.seekToEnd()
        try config.write(contentsOf: Data(settings.utf8))
        try config.close()
        try await start()
    }

    /// A port below the kernel's ephemeral range (where every outgoing connection and
    /// every test server on port 0 takes its port, and a restart could find its own port
    /// taken) that nothing listens on now.
    private static func unusedPort() -> Int {
        for _ in 0..<100 {
            let candidate = Int.random(in: 20000...32000)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(candidate).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            close(fd)
            if bound == 0 { return candidate }
        }
        return Int.random(in: 20000...32000)
    }

    func start() async throws {
        try await pg(["\(bin)/pg_ctl", "-D", "\(directory)/data", "-l", "\(directory)/log", "-w", "start"])
    }

    func stop() async throws {
        try await pg(["\(bin)/pg_ctl", "-D", "\(directory)/data", "-m", "fast", "-w", "stop"])
    }

    /// Stops the server (if running) and removes the cluster.
    func remove() async {
        try? await pg(["\(bin)/pg_ctl", "-D", "\(directory)/data", "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func pg(_ arguments: [String]) async throws {
        try await Self.shell(runAs.isEmpty ? arguments : ["runuser", "-u", runAs, "--"] + arguments)
    }

    /// Runs a command and waits for it on a thread of its own (initdb and pg_ctl take
    /// seconds: blocking one of Swift concurrency's few threads would stall the tests
    /// beside this one).
    private static func shell(_ arguments: [String]) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            Thread { continuation.resume(with: Result { try run(arguments) }) }.start()
        }
    }

    /// posix_spawn and waitpid, because Foundation's Process sometimes never saw runuser
    /// exit here (left a zombie, waited forever).
    private static func run(_ arguments: [String]) throws {
        var pid: pid_t = 0
        var argv = arguments.map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        guard posix_spawnp(&pid, arguments[0], &actions, nil, &argv, environ) == 0 else {
            throw PostgresError(.client, "cannot start \(arguments[0])")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard status == 0 else {
            throw PostgresError(.client, "\(arguments.joined(separator: " ")) exited with status \(status)")
        }
    }
}
