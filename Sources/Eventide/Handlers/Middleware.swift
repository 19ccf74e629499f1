/// Code that runs around handlers: logging, CORS, authentication, request ids.
///
/// Router-wide middleware (`Router.use`) wraps every request, including those answered
/// 404 or 405; group middleware wraps only the group's routes. Errors thrown by the
/// handler propagate through the middleware, which may catch them.
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

extension Array where Element == any Middleware {
    /// `responder` wrapped so the first middleware runs first.
    func wrapping(_ responder: @escaping @Sendable (Request) async throws -> Response) -> @Sendable (Request) async throws -> Response {
        reversed().reduce(responder) { next, middleware in
            { request in try await middleware.respond(to: request, next: MiddlewareNext(responder: next)) }
        }
    }
}
