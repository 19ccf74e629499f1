import EventideHTTP1
import EventideUVLoop
import Logging

// Entry points for the micro-benchmarks in Benchmarks/Micro (`@_spi(Benchmarks) import
// Eventide`). They drive the server's own internal code — `Router.freeze()`,
// `RouteTable.responder(for:)`, `Request`, `RequestContext`, the background-task
// bookkeeping, `DateCache` and `HTTPResponseSerializer` — without a socket or a running
// loop. Not API: it may change with the internals it exposes.

/// Route lookup as the connection does it: `RouteTable.responder(for:)` on a `Request`
/// (binding path parameters; 404 and 405 build their fallback responders).
@_spi(Benchmarks) public struct RoutingBenchmark {
    /// A request prepared outside the measured loop.
    public struct Lookup {
        fileprivate let request: Request
    }

    private let routes: RouteTable
    private let harness: Harness

    /// Freezes `router` as `Server` does.
    public init(router: Router) throws {
        routes = try router.freeze()
        harness = try Harness()
    }

    /// A `Request` for `method` and `target` (origin-form, optionally with a query), built
    /// the way `HTTPConnectionHandler.dispatch` builds it.
    public func lookup(method: HTTPMethod, target: String) -> Lookup {
        let head = HTTPRequestHead(method: method, target: target, headers: ["Host": "127.0.0.1:8000"])
        guard let parsed = RequestTarget(target) else { preconditionFailure("invalid request-target \(target)") }
        return Lookup(request: harness.request(HTTPRequest(head: head), target: parsed))
    }

    /// `RouteTable.responder(for:)`; returns the number of path parameters bound (0 for a
    /// static route, a 404 or a 405), so the result depends on the match.
    public func match(_ lookup: Lookup) -> Int {
        var request = lookup.request
        _ = routes.responder(for: &request)
        return request.pathParameters.count
    }

    /// `match(_:)` with the `(method, path)` convenience: builds the `Request` on each call.
    public func match(method: String, path: String) -> Int {
        match(lookup(method: HTTPMethod(rawValue: method), target: path))
    }

    /// The status the matched responder answers with (synchronous handlers only; a thrown
    /// error becomes its response as in the server). For checking a table, not for timing.
    public func status(_ lookup: Lookup) -> Int {
        var request = lookup.request
        switch routes.responder(for: &request) {
        case .sync(let handler):
            do { return try handler(request).status.code } catch {
                return ErrorResponse.response(for: error, to: request).status.code
            }
        case .async:
            return -1
        }
    }
}

/// One connection's request path without the socket: bytes in → `HTTPServerConnection` →
/// `RequestTarget` → `Request` + `RequestContext` → `RouteTable.responder(for:)` → the
/// synchronous handler → the head and body serialized into a reused output buffer, as
/// `HTTPConnectionHandler.process()`, `dispatch(_:)` and `send(_:to:context:failed:)` do
/// for a connection that is active, not shutting down and not over capacity. The output
/// buffer is borrowed from the harness (the loop's) and given back as `flush()` does, the
/// write replaced by clearing it. Async handlers and streamed bodies need a running loop
/// and are not supported.
@_spi(Benchmarks) public final class PipelineBenchmark {
    private let routes: RouteTable
    private let configuration: ServerConfiguration
    private let harness: Harness
    // Unchecked like their counterparts (HTTPConnectionHandler, ServerCore.dateCache),
    // so the run-time exclusivity checks measured are the server's.
    @exclusivity(unchecked) private var machine: HTTPServerConnection
    @exclusivity(unchecked) private var outbound: [UInt8] = []
    @exclusivity(unchecked) private var dateCache = DateCache()
    @exclusivity(unchecked) private var contexts = RequestContextRecycler()

    /// A fresh connection state machine over `router`'s frozen routes.
    public init(router: Router, configuration: ServerConfiguration = ServerConfiguration()) throws {
        routes = try router.freeze()
        self.configuration = configuration
        harness = try Harness(backgroundTasks: configuration.backgroundTasks)
        machine = HTTPServerConnection(limits: configuration.limits)
    }

    /// Feeds `bytes` as one read and answers every complete request in them; returns the
    /// number of response bytes produced (then discarded, as after a write).
    public func handle(_ bytes: UnsafeRawBufferPointer) -> Int {
        process(bytes)
        let count = outbound.count
        flush()
        return count
    }

    /// `handle(_:)`, returning the response bytes instead of their count (for checks).
    public func respond(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        process(bytes)
        defer { flush() }
        return outbound
    }

    /// `HTTPConnectionHandler.connection(_:didRead:)` + `process()`.
    private func process(_ bytes: UnsafeRawBufferPointer) {
        machine.receive(bytes)
        ResponseEncoding.borrowOutput(&outbound, from: &harness.spareOutput)
        loop: while true {
            switch machine.next() {
            case .needMoreData, .awaitingResponse, .close:
                break loop
            case .sendContinue:
                outbound.append(contentsOf: HTTPResponseSerializer.continueResponse)
            case .request(let request):
                if !dispatch(request) { break loop }
            case .reject(let error):
                ResponseEncoding.appendRejection(status: error.status, reason: error.reason, date: dateCache.current(), into: &outbound)
            }
        }
    }

    /// `HTTPConnectionHandler.dispatch(_:)` for a synchronous handler.
    private func dispatch(_ head: consuming HTTPRequest) -> Bool {
        guard let target = RequestTarget(head.head.target) else {
            return send(.text("400 Bad Request: invalid request-target\n", status: .badRequest), to: head.head, context: nil, failed: true)
        }
        let id = harness.nextRequestID()
        let context = contexts.make(id: id, service: harness.service)
        var routed = Request(head, target: target, id: id, context: context, environment: harness.environment)
        let responder = routes.responder(for: &routed)
        let request = routed
        switch responder {
        case .sync(let handler):
            defer { contexts.recycle(context) }
            do {
                return send(try handler(request), to: request.head, context: context, failed: false)
            } catch {
                return send(ErrorResponse.response(for: error, to: request), to: request.head, context: context, failed: true)
            }
        case .async:
            preconditionFailure("PipelineBenchmark runs synchronous handlers only")
        }
    }

    /// `HTTPConnectionHandler.send(_:to:context:failed:)` for a complete body, with
    /// `closeAfterResponse` and `isShuttingDown` false.
    private func send(_ response: Response, to request: HTTPRequestHead, context: RequestContext?, failed: Bool) -> Bool {
        guard let carried = response.background.isEmpty ? [] : harness.service.admitAll(response.background) else {
            return send(harness.service.rejectionResponse(), to: request, context: context, failed: failed, carried: nil)
        }
        return send(response, to: request, context: context, failed: failed, carried: carried)
    }

    /// The inner `send`, once the carried tasks were admitted (`carried` nil: refused).
    private func send(
        _ response: Response, to request: HTTPRequestHead, context: RequestContext?, failed: Bool,
        carried: [BackgroundTaskScheduler.Entry]?
    ) -> Bool {
        if case .stream = response.body { preconditionFailure("PipelineBenchmark does not stream bodies") }
        let keepAlive = ResponseEncoding.keepAlive(response, request: request, closing: false)
        // A large body would be written from its own array; here it is simply counted.
        if let large = ResponseEncoding.appendComplete(
            response, to: request, keepAlive: keepAlive, serverName: configuration.serverName, date: dateCache.current(),
            into: &outbound)
        {
            outbound.append(contentsOf: large)
        }
        machine.responseCompleted(keepAlive: keepAlive)
        finishTasks(context: context, carried: carried, failed: failed, status: response.status)
        return true
    }

    /// `flush()` and `returnOutput()`, the write left out.
    private func flush() {
        outbound.removeAll(keepingCapacity: true)
        ResponseEncoding.returnOutput(&outbound, to: &harness.spareOutput)
    }

    /// `scheduleTasks`: the tasks would start after the write; here they are dropped.
    private func finishTasks(context: RequestContext?, carried: [BackgroundTaskScheduler.Entry]?, failed: Bool, status: HTTPStatus) {
        guard let context else { return }
        for entry in harness.service.entriesToRun(context, carried: carried, failed: failed, status: status) {
            entry.handle.finish(.skipped)
            harness.service.counters.dropped(.skipped)
        }
    }
}

/// What a `Request` needs besides the parsed request: a loop (never run here), a
/// background-task service, a logger, request ids and the loop's output buffer.
private final class Harness {
    let loop: EventLoop
    let service: BackgroundTaskService
    let environment: RequestEnvironment
    let logger = Logger(label: "eventide.benchmark", factory: { _ in SwiftLogNoOpLogHandler() })
    private var sequence: UInt64 = 0
    /// `ServerCore.spareOutput`.
    @exclusivity(unchecked) var spareOutput: [UInt8] = []

    init(backgroundTasks: BackgroundTaskConfiguration = BackgroundTaskConfiguration()) throws {
        loop = try EventLoop()
        service = BackgroundTaskService(configuration: backgroundTasks, logger: logger)
        environment = RequestEnvironment(eventLoop: loop, logger: logger)
        spareOutput.reserveCapacity(4096)
    }

    /// `ServerCore.nextRequestID()`.
    func nextRequestID() -> RequestID {
        sequence += 1
        return RequestID(loop: 0, sequence: sequence)
    }

    func request(_ request: HTTPRequest, target: RequestTarget) -> Request {
        let id = nextRequestID()
        let context = RequestContext(requestID: id, service: service)
        return Request(request, target: target, id: id, context: context, environment: environment)
    }
}
