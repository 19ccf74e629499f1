import HTTPTypes

/// A request that cannot be parsed or framed. The connection must answer with `status`
/// (with `Connection: close`) and then close, since framing can no longer be trusted.
public struct HTTPParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The status to respond with, e.g. 400, 413, 414, 431, 501 or 505.
    public var status: HTTPResponse.Status
    /// A short human-readable explanation, e.g. `"both Content-Length and Transfer-Encoding"`.
    public var reason: String

    /// Creates a parse error.
    public init(status: HTTPResponse.Status, reason: String) {
        self.status = status
        self.reason = reason
    }

    /// `"<code> <phrase>: <reason>"`.
    public var description: String { "\(status.code) \(status.reasonPhrase): \(reason)" }

    static func badRequest(_ reason: String) -> HTTPParseError {
        HTTPParseError(status: .badRequest, reason: reason)
    }
}
