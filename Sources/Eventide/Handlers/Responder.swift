/// A route's handler as the connection calls it: synchronous handlers run inline on the
/// loop (no task, no allocation); `async` ones run in a task on the loop's executor.
package enum Responder: Sendable {
    case sync(@Sendable (Request) throws -> Response)
    case async(@Sendable (Request) async throws -> Response)
    /// An `async` handler that starts once the head arrived and reads the body as it comes
    /// (`Request.bodyStream`): a route registered with `body: .stream`.
    case streaming(@Sendable (Request) async throws -> Response)

    /// The handler as an `async` function, for wrapping in middleware.
    package var asAsync: @Sendable (Request) async throws -> Response {
        switch self {
        case .sync(let handler): return handler
        case .async(let handler), .streaming(let handler): return handler
        }
    }

    /// Whether the route reads its body as it arrives.
    var streamsBody: Bool {
        if case .streaming = self { return true }
        return false
    }

    /// An `async` handler of the same kind as this one (streaming or not).
    func withAsyncHandler(_ handler: @escaping @Sendable (Request) async throws -> Response) -> Responder {
        streamsBody ? .streaming(handler) : .async(handler)
    }
}

/// A registered handler, opaque to users: build routes with `on`, `get`, `post`, ....
public struct RouteHandler: Sendable {
    let responder: Responder
}
