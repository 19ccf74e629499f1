/// A route's handler as the connection calls it: synchronous handlers run inline on the
/// loop (no task, no allocation); `async` ones run in a task on the loop's executor.
package enum Responder: Sendable {
    case sync(@Sendable (Request) throws -> Response)
    case async(@Sendable (Request) async throws -> Response)

    /// The handler as an `async` function, for wrapping in middleware.
    package var asAsync: @Sendable (Request) async throws -> Response {
        switch self {
        case .sync(let handler): return handler
        case .async(let handler): return handler
        }
    }
}

/// A registered handler, opaque to users: build routes with `on`, `get`, `post`, ....
public struct RouteHandler: Sendable {
    let responder: Responder
}
