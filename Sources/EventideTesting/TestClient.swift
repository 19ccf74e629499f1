import Eventide
import EventideHTTP1
import EventideUVLoop
import Logging

/// Calls a router's handlers in-process, without a socket, and controls what happens
/// to the background tasks they add (rule 13):
///
/// - `.inline`: the tasks run before `execute` returns (like FastAPI's `TestClient`).
/// - `.deferred`: `execute` returns at once; `drainTasks()` waits for the tasks.
/// - `.captured`: the tasks never run; `capturedTasks` lists their names and arguments.
///
/// ```swift
/// let client = try TestClient(router: router, taskMode: .captured)
/// let response = try await client.execute(.post, "/send-notification/a@b.c")
/// #expect(client.capturedTasks.map(\.name) == ["write_notification"])
/// ```
///
/// Handlers run on an event loop of the client's own, as in the server. Call
/// `shutdown()` when done.
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

    /// The mode this client was created with.
    public let taskMode: TaskMode
    private let routes: RouteTable
    private let service: BackgroundTaskService
    private let thread: EventLoopThread
    private let logger: Logger
    private let environment: RequestEnvironment
    private let state = Locked(State())

    private struct State {
        var sequence: UInt64 = 0
        var started: [BackgroundTaskHandle] = []
        var captured: [CapturedTask] = []
        var scheduler: LoopBound<BackgroundTaskScheduler>?
    }

    /// A client for `router`'s routes. `backgroundTasks` sets capacity and failure
    /// behaviour as on a server.
    public init(
        router: Router, taskMode: TaskMode = .inline,
        backgroundTasks: BackgroundTaskConfiguration = BackgroundTaskConfiguration(),
        logger: Logger = Logger(label: "eventide.test", factory: { _ in SwiftLogNoOpLogHandler() })
    ) throws {
        self.taskMode = taskMode
        self.routes = try router.freeze()
        self.logger = logger
        self.service = BackgroundTaskService(configuration: backgroundTasks, logger: logger)
        self.thread = try EventLoopThread()
        self.environment = RequestEnvironment(eventLoop: thread.loop, logger: logger)
    }

    /// Tasks recorded in `.captured` mode, in the order added.
    public var capturedTasks: [CapturedTask] { state.withLock { $0.captured } }

    /// Counts of tasks queued, run, failed, skipped and rejected so far.
    public var statistics: BackgroundTaskStatistics { service.counters.snapshot }

    /// Sends a request through the router (middleware included) and returns the
    /// response; background tasks are handled according to `taskMode`.
    public func execute(
        _ method: HTTPMethod, _ target: String, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []
    ) async throws -> TestResponse {
        guard let parsedTarget = RequestTarget(target) else { throw TestClientError.invalidTarget(target) }
        var head = HTTPRequestHead(method: method, target: target, headers: headers)
        head.framing = body.isEmpty ? .none : .contentLength(body.count)
        let request = HTTPRequest(head: head, body: body, trailers: HTTPHeaders())
        let id = state.withLock { state in
            state.sequence += 1
            return RequestID(loop: 0, sequence: state.sequence)
        }
        let (response, entries) = await respond(to: request, target: parsedTarget, id: id)
        let testResponse = try await TestResponse(response)
        switch taskMode {
        case .captured:
            state.withLock { state in
                state.captured += entries.map { CapturedTask(name: $0.task.name, arguments: $0.task.arguments, options: $0.task.options, requestID: id) }
            }
            for entry in entries {
                entry.handle.finish(.skipped)
                service.counters.dropped(.skipped)
            }
        case .inline:
            start(entries, id: id)
            for entry in entries { _ = await entry.handle.completion() }
        case .deferred:
            start(entries, id: id)
        }
        return testResponse
    }

    /// Waits for every task started so far (`.deferred` mode) and returns their final
    /// states in the order they were added.
    @discardableResult
    public func drainTasks() async -> [BackgroundTaskState] {
        let handles = state.withLock { $0.started }
        var states: [BackgroundTaskState] = []
        for handle in handles { states.append(await handle.completion()) }
        return states
    }

    /// Stops the client's loop and pool. Call after the last `execute`.
    public func shutdown() throws {
        _ = thread.loop.execute { [self] in
            state.withLock { $0.scheduler }?.value.close()
            thread.loop.closeWakeup()
        }
        try thread.join()
        service.stopPool()
    }

    private func respond(to request: HTTPRequest, target: RequestTarget, id: RequestID) async -> (Response, [BackgroundTaskScheduler.Entry]) {
        let loop = thread.loop
        let (routes, service, environment) = (self.routes, self.service, self.environment)
        return await withCheckedContinuation { continuation in
            loop.execute {
                let context = RequestContext(requestID: id, service: service)
                var handlerRequest = Request(request, target: target, id: id, context: context, environment: environment)
                let responder = routes.responder(for: &handlerRequest)
                let frozen = handlerRequest
                Task(executorPreference: loop.executor) {
                    var failed = false
                    var response: Response
                    do {
                        response = try await responder.asAsync(frozen)
                    } catch {
                        response = ErrorResponse.response(for: error, to: frozen)
                        failed = true
                    }
                    let carried = service.admitAll(response.background)
                    if carried == nil { response = service.rejectionResponse() }
                    let entries = service.entriesToRun(context, carried: carried, failed: failed, status: response.status)
                    continuation.resume(returning: (response, entries))
                }
            }
        }
    }

    private func start(_ entries: [BackgroundTaskScheduler.Entry], id: RequestID) {
        guard !entries.isEmpty else { return }
        state.withLock { $0.started += entries.map(\.handle) }
        let loop = thread.loop
        let (service, logger) = (self.service, self.logger)
        let holder = self
        loop.execute {
            let scheduler = holder.state.withLock { state in
                if state.scheduler == nil { state.scheduler = LoopBound(BackgroundTaskScheduler(loop: loop, service: service), loop: loop) }
                return state.scheduler!
            }
            scheduler.value.run(entries, requestID: id, logger: logger)
        }
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
    /// The target is not an origin-form path like `/a/b?c=d`.
    case invalidTarget(String)
}
