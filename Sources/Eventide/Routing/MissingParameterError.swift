/// A required path parameter was not present in the matched route.
///
/// Thrown by ``RouteParameters/require(_:)``. A route's parameters are always bound when
/// it matches, so this means the name is not in the route's template: a programming
/// error, answered like any other error a handler throws, `500 Internal Server Error`
/// (logged with the request id). To answer 400 for a value you validate yourself, throw
/// `HTTPError(.badRequest, ...)`.
public struct MissingParameterError: Error, CustomStringConvertible, Sendable {
    /// The name that was asked for.
    public let name: String

    public init(name: String) {
        self.name = name
    }

    public var description: String {
        "missing path parameter \"\(name)\""
    }
}
