import Eventide
import EventideUVLoop
import Foundation
import Logging
import Synchronization

/// Routes for the embedding tests: a plain answer that says which loop served it, and
/// a request whose tasks run on the blocking pool, then on the request's loop.
enum EmbeddingRoutes {
    static func make(_ journal: Journal, gate: Gate = Gate(open: true)) -> Router {
        let router = Router()
        router.sync.get("/hello") { request, _ in "hello, on its loop: \(request.eventLoop.inEventLoop)" }
        router.sync.post("/notify/{name}") { request, tasks in
            let name = try request.pathParameters.require("name")
            let loop = request.eventLoop
            try tasks.add({ (name: String) in journal.record("pool \(name)") }, name, name: "blocking")
            // Runs after the blocking one finished: its completion came back to the loop.
            try tasks.add({ journal.record("loop \(name) on its loop: \(loop.inEventLoop)") } as @Sendable () async -> Void, name: "on-loop")
            return "queued \(name)"
        }
        router.get("/slow") { _, _ async in
            journal.record("slow started")
            // Holds the request in flight until the test opens the gate (or 30 s pass).
            _ = await gate.wait(timeout: 30)
            return "slow done"
        }
        return router
    }

    /// Port 0, no signals, short linger and shutdown deadline.
    static func configuration(loops: Int = 1) -> ServerConfiguration {
        ServerConfiguration(
            host: "127.0.0.1", port: 0, loops: loops, shutdownTimeout: .seconds(5), lingerTimeout: .milliseconds(200),
            handlesSignals: false)
    }

    static func server(_ journal: Journal, gate: Gate = Gate(open: true), loops: Int = 1) throws -> Server {
        try Server(router: make(journal, gate: gate), configuration: configuration(loops: loops), logger: TestServer.quietLogger)
    }
}

/// One request on a fresh connection that asks to be closed after the response.
func oneShotRequest(_ port: Int, _ method: String, _ path: String) throws -> TestResponse {
    let client = try RawClient(port: port, receiveTimeout: 20)
    try client.send("\(method) \(path) HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    return try client.readResponse()
}

/// A request sent and answered on a thread of its own (not on the cooperative pool,
/// which blocking tests elsewhere may hold), with a generous receive timeout.
final class ThreadedRequest: Sendable {
    private let result = Watched<Result<TestResponse, any Error>?>(nil)

    init(port: Int, _ head: String) {
        let thread = Thread { [self] in
            let outcome = Result { () throws -> TestResponse in
                let client = try RawClient(port: port, receiveTimeout: 20)
                try client.send(head)
                return try client.readResponse()
            }
            result.update { $0 = outcome }
        }
        thread.start()
    }

    /// Waits for the response without blocking a thread. The client's receive timeout
    /// (20 s) ends the request thread well before this deadline.
    func response() async throws -> TestResponse {
        guard await result.wait(timeout: 60, until: { $0 != nil }) else {
            throw RawClient.Failure(description: "request thread did not finish in 60 s")
        }
        return try result.current!.get()
    }
}

/// True when nothing listens on `port` (the connection is refused). Closes its socket
/// exactly once (unlike a `RawClient` whose connect failed: its init closes the fd and
/// its deinit, which Swift runs after a throwing init of a fully initialised class,
/// closes it again, possibly closing another thread's new descriptor).
func isRefused(_ port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    return connectToLoopback(fd, port: port) != 0 && errno == ECONNREFUSED
}

/// Polls `condition` every 2 ms for up to `timeout` seconds. Only for conditions no
/// event announces (a closed listener); wait on a `Watched` value or a `Journal` otherwise.
func eventually(timeout: Double = 15, _ condition: () -> Bool) async throws -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while !condition() {
        if Date() > deadline { return false }
        try await Task.sleep(for: .milliseconds(2))
    }
    return true
}
