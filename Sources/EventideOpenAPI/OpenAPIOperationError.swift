/// An OpenAPI operation failed on the server's side (its handler or a middleware threw an
/// error that is no `HTTPResponseError`): answered 500 and logged once with this text.
public struct OpenAPIOperationError: Error, Sendable, CustomStringConvertible {
    /// The operation's `operationId`.
    public let operationID: String
    /// The runtime's account of where it failed ("User handler threw an error.").
    public let cause: String
    /// The error thrown.
    public let underlying: any Error

    /// The operation, the runtime's account and the error, as logged.
    public var description: String { "\(operationID): \(cause) \(underlying)" }
}
