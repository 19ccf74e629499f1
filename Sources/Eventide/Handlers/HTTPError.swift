import EventideHTTP1

/// An error that knows the HTTP response it should become. Handlers throw one to answer
/// with that status instead of 500.
public protocol HTTPResponseError: Error {
    /// The response status.
    var status: HTTPResponse.Status { get }
    /// Extra response headers (e.g. `Retry-After`). Default none.
    var headers: HTTPFields { get }
    /// The response body text. Default "<code> <reason phrase>".
    var body: String { get }
}

extension HTTPResponseError {
    public var headers: HTTPFields { HTTPFields() }
    public var body: String { "\(status.code) \(status.reasonPhrase)" }
}

/// A ready-made `HTTPResponseError`: `throw HTTPError(.notFound, "no such user")`.
public struct HTTPError: HTTPResponseError, Sendable, CustomStringConvertible {
    public let status: HTTPResponse.Status
    public let headers: HTTPFields
    /// The message sent as the body (plain text).
    public let message: String?

    /// An error answered with `status`, an optional message body and extra headers.
    public init(_ status: HTTPResponse.Status, _ message: String? = nil, headers: HTTPFields = HTTPFields()) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    public var body: String { message ?? "\(status.code) \(status.reasonPhrase)" }
    public var description: String { "HTTPError(\(status.code)\(message.map { ": \($0)" } ?? ""))" }
}
