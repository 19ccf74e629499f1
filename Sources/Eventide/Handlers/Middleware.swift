/// Code that runs around handlers: logging, CORS, authentication, request ids.
///
/// Router-wide middleware (`Router.use`) wraps every request, including those answered
/// 404 or 405; group middleware wraps only the group's routes. Errors thrown by the
/// handler propagate through the middleware, which may catch them. A middleware that
/// never waits can be a `SynchronousMiddleware`, which keeps `router.sync` handlers inline.
public protocol Middleware: Sendable {
    /// Handles `request`, usually by calling `next` and adjusting its response.
    func respond(to request: Request, next: MiddlewareNext) async throws -> Response
}

/// The rest of the chain, as seen by a middleware.
public struct MiddlewareNext: Sendable {
    let responder: @Sendable (Request) async throws -> Response

    /// Passes `request` on and returns the response of the rest of the chain.
    public func callAsFunction(_ request: Request) async throws -> Response {
        try await responder(request)
    }
}

/// A middleware written as a closure.
public struct ClosureMiddleware: Middleware {
    private let body: @Sendable (Request, MiddlewareNext) async throws -> Response

    /// Wraps `body`, which receives the request and the rest of the chain.
    public init(_ body: @escaping @Sendable (Request, MiddlewareNext) async throws -> Response) {
        self.body = body
    }

    public func respond(to request: Request, next: MiddlewareNext) async throws -> Response {
        try await body(request, next)
    }
}

/// Middleware that never waits: it looks at (and may change) the request before the rest
/// of the chain, may answer instead of it, and may change the response after it. Around a
/// `router.sync` handler a chain of these runs inline on the loop thread, so a router-wide
/// one does not move every request into a task; around an `async` handler it runs in that
/// handler's task like any `Middleware`.
///
/// ```swift
/// struct RequestIDHeader: SynchronousMiddleware {
///     func finish(_ response: inout Response, for request: Request) {
///         response.headers[HTTPField.Name("X-Request-ID")!] = "\(request.id)"
///     }
/// }
/// ```
public protocol SynchronousMiddleware: Middleware {
    /// Runs before the rest of the chain. Returns a response to answer with instead (the
    /// rest of the chain and this middleware's `finish` are then skipped), or nil to go
    /// on. Default: nil.
    func prepare(_ request: inout Request) throws -> Response?
    /// Runs after the rest of the chain answered. When the rest threw, `response` is the one
    /// that error stands for (an `HTTPResponseError`'s own, else a logged 500), so headers
    /// added here reach error responses too (a 404, a 405). Default: nothing.
    func finish(_ response: inout Response, for request: Request) throws
}

extension SynchronousMiddleware {
    public func prepare(_ request: inout Request) throws -> Response? { nil }
    public func finish(_ response: inout Response, for request: Request) throws {}

    public func respond(to request: Request, next: MiddlewareNext) async throws -> Response {
        var request = request
        if let early = try prepare(&request) { return early }
        var response: Response
        do { response = try await next(request) } catch { response = ErrorResponse.response(for: error, to: request) }
        try finish(&response, for: request)
        return response
    }

    /// This middleware around a synchronous `next`.
    func respond(to request: Request, next: (Request) throws -> Response) throws -> Response {
        var request = request
        if let early = try prepare(&request) { return early }
        var response: Response
        do { response = try next(request) } catch { response = ErrorResponse.response(for: error, to: request) }
        try finish(&response, for: request)
        return response
    }
}

extension Responder {
    /// This responder inside `chain` (first element outermost). A synchronous responder
    /// stays synchronous when every middleware of the chain is a `SynchronousMiddleware`.
    func wrapped(in chain: [any Middleware]) -> Responder {
        guard !chain.isEmpty else { return self }
        if case .sync(let handler) = self {
            let inline = chain.compactMap { $0 as? any SynchronousMiddleware }
            if inline.count == chain.count {
                return .sync(inline.reversed().reduce(handler) { next, middleware in
                    { request in try middleware.respond(to: request, next: next) }
                })
            }
        }
        return withAsyncHandler(chain.reversed().reduce(asAsync) { next, middleware in
            { request in try await middleware.respond(to: request, next: MiddlewareNext(responder: next)) }
        })
    }
}
