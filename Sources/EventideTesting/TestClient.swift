import Eventide
import EventideHTTP1
import Logging
import Synchronization

/// Sends requests to a router's handlers and answers with the bytes the server would
/// send: the server's own connection code serves them, in memory by default or over a
/// real socket (`.live`), with `Content-Length`, `Date`, `Connection`, chunked streams,
/// `100 Continue`, parser errors and limits exactly as in production. What happens to
/// the background tasks is the client's `TaskMode`:
///
/// - `.inline`: the tasks run before `execute` returns (like FastAPI's `TestClient`).
/// - `.deferred`: `execute` returns at once; `drainTasks()` waits for the tasks.
/// - `.captured`: the tasks never run; `capturedTasks` lists their names and arguments.
///
/// ```swift
/// let client = try TestClient(router: router, taskMode: .captured)
/// let response = try await client.execute(.post, "/send-notification/a@b.c")
/// #expect(response.headers.first(name: "Content-Length") == "49")
/// #expect(client.capturedTasks.map(\.name) == ["write_notification"])
/// ```
///
/// In memory, time stands still unless `advanceClock(by:)` moves it: timeouts are tested
/// without waiting. Call `shutdown()` when done.
public final class TestClient: Sendable {
    /// What happens to background tasks.
    public enum TaskMode: Sendable {
        /// Run them before `execute` returns.
        case inline
        /// Start them after the response, as the server does; `drainTasks()` awaits them.
        case deferred
        /// Do not run them; record them in `capturedTasks`.
        case captured
    }

    /// How requests reach the server.
    public enum Transport: Sendable {
        /// The server's connection code over an in-memory transport, on a loop thread of
        /// the client's own, with a clock that only `advanceClock(by:)` moves.
        case inMemory
        /// A real `Server` on an ephemeral port of 127.0.0.1, reached over TCP.
        case live
    }

    /// The mode this client was created with.
    public let taskMode: TaskMode
    /// The transport this client was created with.
    public let transport: Transport
    /// How long, in real time, a read waits for a response before it throws
    /// `TestClientError.readTimedOut` (either transport).
    public let readTimeout: Duration
    private let backend: Backend
    private let recorder: TaskRecorder

    private enum Backend: Sendable {
        case inMemory(MemoryServer)
        case live(Server, port: Int)
    }

    /// A client for `router`'s routes. `configuration` sets limits, timeouts and
    /// background-task behaviour as on a server (`.live` serves on 127.0.0.1, an ephemeral
    /// port and one loop, without handling signals). `readTimeout`: how long a read may
    /// wait before it fails the test instead of hanging it (default 120 s). A
    /// `configuration.taskQueue` is started here and left running: the test calls
    /// `await queue.shutdown()` when it is done with it.
    public init(
        router: Router, taskMode: TaskMode = .inline, transport: Transport = .inMemory,
        configuration: ServerConfiguration = ServerConfiguration(),
        logger: Logger = Logger(label: "eventide.test", factory: { _ in SwiftLogNoOpLogHandler() }),
        readTimeout: Duration = .seconds(120)
    ) throws {
        self.taskMode = taskMode
        self.transport = transport
        self.readTimeout = readTimeout
        configuration.taskQueue?.start()
        let recorder = TaskRecorder(mode: taskMode)
        self.recorder = recorder
        switch transport {
        case .inMemory:
            let server = try MemoryServer(router: router, configuration: configuration, logger: logger) { entries, id in
                recorder.observe(entries, requestID: id)
            }
            recorder.counters = server.service.counters
            backend = .inMemory(server)
        case .live:
            var live = configuration
            live.host = "127.0.0.1"
            live.port = 0
            live.loops = 1
            live.handlesSignals = false
            let server = try Server(router: router, configuration: live, logger: logger, taskObserver: { entries, id in
                recorder.observe(entries, requestID: id)
            }, managesTaskQueue: false)
            recorder.counters = server.backgroundTasks.counters
            try server.start()
            backend = .live(server, port: server.port!)
        }
    }

    /// Tasks recorded in `.captured` mode, in the order added.
    public var capturedTasks: [CapturedTask] { recorder.captured }

    /// Counts of tasks added, succeeded, failed, skipped and rejected so far.
    public var statistics: BackgroundTaskStatistics { service.counters.snapshot }

    private var service: BackgroundTaskLifecycle.Shared {
        switch backend {
        case .inMemory(let server): server.service
        case .live(let server, _): server.backgroundTasks
        }
    }

    /// Opens a connection to send exact bytes and read responses one by one.
    public func connect() async throws -> TestConnection {
        switch backend {
        case .inMemory(let server):
            return try await server.connect(readTimeout: readTimeout)
        case .live(_, let port):
            let peer = try SocketPeer(port: port)
            let connection = TestConnection(peer: peer, readTimeout: readTimeout)
            peer.startReading(into: connection.receiver)
            return connection
        }
    }

    /// Sends one request on a new connection (HTTP/1.1; `Host` and `Content-Length` are
    /// added when missing) and returns the final response (an interim `100 Continue` is
    /// skipped); background tasks are handled according to `taskMode`.
    public func execute(
        _ method: HTTPRequest.Method, _ target: String, headers: HTTPFields = [:], body: [UInt8] = []
    ) async throws -> TestResponse {
        let connection = try await connect()
        try await connection.send(Self.requestBytes(method, target, headers: headers, body: body))
        var response = try await connection.readResponse(to: method)
        while response.status.code < 200 { response = try await connection.readResponse(to: method) }
        await connection.close()
        // Over a socket the response can arrive before the server handed its tasks over:
        // `.captured` waits for that too, so `capturedTasks` is complete on return.
        if taskMode != .deferred { _ = await settle() }
        return response
    }

    /// Moves the in-memory clock forward and lets every connection check its timeouts
    /// (header, body, idle, write stall, linger), as the server's sweep does once that much
    /// time has passed. One call checks once, at the new time: advance in steps to see one
    /// stage follow another (a 408, then the end of lingering). `duration` must not be
    /// negative.
    ///
    /// - Throws: `TestClientError.needsInMemoryTransport` for a `.live` client.
    public func advanceClock(by duration: Duration) async throws {
        guard case .inMemory(let server) = backend else { throw TestClientError.needsInMemoryTransport }
        try await server.advanceClock(by: duration)
    }

    /// Waits for every task accepted so far and returns the final states of those that
    /// were started, in the order they were handed over (`.inline` and `.deferred`).
    @discardableResult
    public func drainTasks() async -> [BackgroundTaskState] {
        await settle()
    }

    private func settle() async -> [BackgroundTaskState] {
        let counters = service.counters
        return await recorder.settle { counters.snapshot.unfinished }
    }

    /// Stops the client's server (draining its tasks) and its loop and pool. Call after
    /// the last request.
    public func shutdown() throws {
        switch backend {
        case .inMemory(let server):
            try server.shutdown()
        case .live(let server, _):
            server.shutdown()
            _ = try server.wait()
        }
    }

    /// The bytes of an HTTP/1.1 request.
    static func requestBytes(_ method: HTTPRequest.Method, _ target: String, headers: HTTPFields, body: [UInt8]) -> [UInt8] {
        var head = "\(method.rawValue) \(target) HTTP/1.1\r\n"
        if !headers.contains(where: { $0.name.canonicalName == "host" }) { head += "Host: eventide.test\r\n" }
        for field in headers { head += "\(field.name): \(field.value)\r\n" }
        if !body.isEmpty && !headers.contains(.contentLength) && !headers.contains(.transferEncoding) {
            head += "Content-Length: \(body.count)\r\n"
        }
        head += "\r\n"
        return Array(head.utf8) + body
    }
}

/// A task recorded by a `.captured` `TestClient`.
public struct CapturedTask: Sendable {
    /// The task's name.
    public let name: String
    /// Its arguments, in order, as captured when it was added.
    public let arguments: [any Sendable]
    /// Its placement and `always` flag.
    public let options: BackgroundTaskOptions
    /// The request that added it.
    public let requestID: RequestID
}

/// Errors of `TestClient` itself (not of the handler).
public enum TestClientError: Error, Sendable {
    /// The server closed the connection before a complete response.
    case connectionClosed
    /// The bytes received are not an HTTP/1.1 response.
    case malformedResponse(String)
    /// `advanceClock(by:)` moves the in-memory clock only.
    case needsInMemoryTransport
    /// A socket call of a `.live` client failed (the call's name and `errno`).
    case socket(String, Int32)
    /// A read waited 120 s (real time, on either transport) for what it needed: a broken
    /// server fails the test instead of hanging the suite.
    case readTimedOut
}
