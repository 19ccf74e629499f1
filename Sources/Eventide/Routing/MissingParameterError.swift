/// A required path parameter was not present in the matched route.
///
/// Thrown by ``RouteParameters/require(_:)``. A route's parameters are always bound when
/// it matches, so this means the name is not in the route's template. The server answers
/// `400 Bad Request` with ``description`` as the body and logs one line at warning level
/// (`missing parameter`, with the name and the request id); the request's background
/// tasks are skipped, as for any error status, unless added with `.always`.
public struct MissingParameterError: HTTPResponseError, CustomStringConvertible, Sendable {
    /// The name that was asked for.
    public let name: String

    public init(name: String) {
        self.name = name
    }

    public var status: HTTPResponse.Status { .badRequest }

    public var body: String { description }

    public var description: String {
        "missing path parameter \"\(name)\""
    }
}
