/// A required path parameter was not present in the matched route.
///
/// Thrown by ``RouteParameters/require(_:)``; the server maps it to
/// `400 Bad Request`.
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
