import EventideHTTP1

/// An HTTP response: status, headers and a body that is either complete or streamed.
public struct Response: Sendable {
    /// The status. Default 200 OK.
    public var status: HTTPResponse.Status
    /// The headers. `Content-Length`, `Transfer-Encoding`, `Date` and `Connection` are
    /// set by the server.
    public var headers: HTTPFields
    /// The body.
    public var body: ResponseBody
    /// Tasks this response carries (Starlette's `Response(background=...)`): they run
    /// after the request's own `BackgroundTasks`, once the response was written.
    public var background: [BackgroundTask]

    /// A response with the given status, headers, body and background tasks.
    public init(status: HTTPResponse.Status = .ok, headers: HTTPFields = HTTPFields(), body: ResponseBody = .empty, background: [BackgroundTask] = []) {
        self.status = status
        self.headers = headers
        self.body = body
        self.background = background
    }

    /// A UTF-8 text response (`Content-Type: text/plain; charset=utf-8` unless given).
    public static func text(_ text: String, status: HTTPResponse.Status = .ok, contentType: String = "text/plain; charset=utf-8") -> Response {
        Response(status: status, headers: .contentType(contentType), body: .string(text))
    }

    /// A binary response.
    public static func bytes(_ bytes: [UInt8], status: HTTPResponse.Status = .ok, contentType: String = "application/octet-stream") -> Response {
        Response(status: status, headers: .contentType(contentType), body: .bytes(bytes))
    }

    /// A response whose body is produced incrementally and sent with chunked encoding.
    /// `write` waits while the client is slow to read (backpressure).
    public static func stream(
        status: HTTPResponse.Status = .ok,
        headers: HTTPFields = HTTPFields(),
        _ produce: @escaping @Sendable (ResponseBodyWriter) async throws -> Void
    ) -> Response {
        Response(status: status, headers: headers, body: .stream(produce))
    }
}

/// A response body.
public enum ResponseBody: Sendable {
    /// No body.
    case empty
    /// A complete body, sent with `Content-Length`.
    case bytes([UInt8])
    /// A complete UTF-8 text body, sent with `Content-Length` (written straight from
    /// the string's storage: no copy into an array).
    case string(String)
    /// A body produced by the closure, sent chunked (HTTP/1.1) or until close (HTTP/1.0).
    case stream(@Sendable (ResponseBodyWriter) async throws -> Void)
}

extension ResponseBody {
    /// The length of a complete body (0 for `.empty` and `.stream`).
    var knownLength: Int {
        switch self {
        case .empty, .stream: return 0
        case .bytes(let bytes): return bytes.count
        case .string(let text): return text.utf8.count
        }
    }
}
