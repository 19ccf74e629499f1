import EventideHTTP1
import EventideUVLoop
import HTTPTypes
import Logging

// Entry points for the micro-benchmarks in Benchmarks/Micro (`@_spi(Benchmarks) import
// Eventide`). They drive the server's own code — route lookup, and a connection's whole
// request path over an in-memory transport — without a socket or a running loop. Not
// API: it may change with the internals it exposes.

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
    /// the way `HTTPConnection.dispatch` builds it.
    public func lookup(method: HTTPRequest.Method, target: String) -> Lookup {
        let head = HTTPRequestHead(method: EventideHTTP1.HTTPMethod(method), target: target, headers: ["Host": "127.0.0.1:8000"])
        guard let parsed = RequestTarget(target) else { preconditionFailure("invalid request-target \(target)") }
        return Lookup(request: harness.request(HTTPParsedRequest(head: head), target: parsed))
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
        guard let method = HTTPRequest.Method(method) else { preconditionFailure("not a method: \(method)") }
        return match(lookup(method: method, target: path))
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
        case .async, .streaming:
            return -1
        }
    }
}

/// One connection's request path without a socket: the server's own `HTTPConnection`
/// over a `MemoryTransport`, on a `ServerCore` that never listens. Bytes in, response
/// bytes out, exactly as served; background tasks are marked skipped instead of run.
/// Async handlers and streamed bodies need a running loop and do not finish here.
@_spi(Benchmarks) public final class PipelineBenchmark {
    private let core: ServerCore
    private let transport: MemoryTransport

    /// A fresh connection over `router`'s frozen routes.
    public init(router: Router, configuration: ServerConfiguration = ServerConfiguration()) throws {
        let loop = try EventLoop()
        let logger = Logger(label: "eventide.benchmark", factory: { _ in SwiftLogNoOpLogHandler() })
        let service = BackgroundTaskLifecycle.Shared(configuration: configuration.backgroundTasks, logger: logger)
        core = ServerCore(
            loop: loop, loopIndex: 0, configuration: configuration, routes: try router.freeze(), backgroundTasks: service,
            logger: logger)
        core.tasks.observer = { entries, _ in
            for entry in entries { service.counters.drop(entry.handle, as: .skipped) }
            return false
        }
        transport = MemoryTransport(loop: loop)
        transport.attach(to: core)
    }

    /// Feeds `bytes` as one read and answers every complete request in them; returns the
    /// number of response bytes produced (then discarded, as after a write).
    public func handle(_ bytes: UnsafeRawBufferPointer) -> Int {
        transport.deliver(bytes)
        let count = transport.output.count
        transport.discardOutput()
        return count
    }

    /// `handle(_:)`, returning the response bytes instead of their count (for checks).
    public func respond(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        transport.deliver(bytes)
        return transport.takeOutput()
    }
}

/// What a `Request` needs besides the parsed request, for routing alone: a loop (never
/// run here), a background-task service, a logger and request ids.
private final class Harness {
    let loop: EventLoop
    let service: BackgroundTaskLifecycle.Shared
    let environment: RequestEnvironment
    let logger = Logger(label: "eventide.benchmark", factory: { _ in SwiftLogNoOpLogHandler() })
    private var sequence: UInt64 = 0

    init() throws {
        loop = try EventLoop()
        service = BackgroundTaskLifecycle.Shared(configuration: BackgroundTaskConfiguration(), logger: logger)
        environment = RequestEnvironment(eventLoop: loop, logger: logger)
    }

    /// `ServerCore.nextRequestID()`.
    func nextRequestID() -> RequestID {
        sequence += 1
        return RequestID(loop: 0, sequence: sequence)
    }

    func request(_ request: HTTPParsedRequest, target: RequestTarget) -> Request {
        let id = nextRequestID()
        let context = RequestContext(requestID: id, service: service)
        return Request(request, target: target, id: id, context: context, environment: environment)
    }
}
