/// The request line and header section of a request, plus the framing and connection
/// semantics derived from them.
public struct HTTPRequestHead: Sendable, Equatable {
    /// The request method.
    public var method: HTTPMethod
    /// The raw request-target as received (origin-form, absolute-form, authority-form or `*`).
    public var target: String
    /// The protocol version from the request line.
    public var version: HTTPVersion
    /// The header fields in received order, with original case.
    public var headers: HTTPHeaders
    /// How the body is delimited.
    public var framing: HTTPBodyFraming
    /// Whether the client allows the connection to persist after this request: HTTP/1.1 defaults
    /// to `true` unless `Connection` has a `close` token; HTTP/1.0 defaults to `false` unless it
    /// has a `keep-alive` token (and no `close` token).
    public var keepAlive: Bool
    /// Whether an HTTP/1.1 request carries `Expect: 100-continue`.
    public var expectsContinue: Bool

    /// Creates a request head.
    public init(
        method: HTTPMethod,
        target: String,
        version: HTTPVersion = .http1_1,
        headers: HTTPHeaders = HTTPHeaders(),
        framing: HTTPBodyFraming = .none,
        keepAlive: Bool = true,
        expectsContinue: Bool = false
    ) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.framing = framing
        self.keepAlive = keepAlive
        self.expectsContinue = expectsContinue
    }
}
