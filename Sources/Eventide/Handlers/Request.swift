import EventideHTTP1
import EventideUVLoop
import HTTPTypes
import Logging

/// An HTTP request as a handler sees it: method, headers, path and query parameters, and
/// the whole body (up to `HTTPLimits.maxBodyBytes`), in swift-http-types' vocabulary.
///
/// `headers`, `trailers` and `head` are built from the parsed request each time they are
/// read (the server itself never needs them as `HTTPFields`, so requests whose handler does
/// not look pay nothing): read one once into a local when a handler looks at several fields.
public struct Request: Sendable {
    /// The request as parsed, moved in whole: copying its head, body and trailers out
    /// field by field cost a retain and a release per field on every request.
    @usableFromInline let received: HTTPParsedRequest
    /// The request line and headers as the parser produced them.
    package var parsedHead: HTTPRequestHead { received.head }
    /// The raw (still percent-encoded) path, without the query.
    public let path: Substring
    /// The raw query string after `?`, or nil when the target had none.
    public let rawQuery: Substring?
    /// The parameters bound by the route template (`{name}`), percent-decoded.
    public internal(set) var pathParameters: RouteParameters
    /// The body bytes (empty when the request had none, and on a `body: .stream` route,
    /// whose body arrives through `bodyStream`).
    @inlinable public var body: [UInt8] { received.body }
    /// Trailer fields of a chunked body.
    public var trailers: HTTPFields { HTTPFields(parsed: received.trailers) }
    /// This request's id, unique within the server process; logged with its errors.
    public let id: RequestID
    /// The loop and logger every request of that loop shares (one reference to copy).
    let environment: RequestEnvironment
    /// Background tasks and dependency cache of this request.
    package let context: RequestContext

    package init(_ request: consuming HTTPParsedRequest, target: RequestTarget, id: RequestID, context: RequestContext, environment: RequestEnvironment) {
        received = request
        path = target.path
        rawQuery = target.query
        pathParameters = RouteParameters()
        self.id = id
        self.context = context
        self.environment = environment
    }

    /// The loop serving this request: `async` handlers run on its thread.
    public var eventLoop: EventLoop { environment.eventLoop }

    /// The request method.
    public var method: HTTPRequest.Method { HTTPRequest.Method(parsed: parsedHead.method) }
    /// The request headers, in the order received (`Host` included).
    public var headers: HTTPFields { HTTPFields(parsed: parsedHead.headers) }
    /// The request as swift-http-types' `HTTPRequest` (for OpenAPI transports, clients and
    /// other libraries of that vocabulary): `path` is the request-target as received,
    /// `authority` the `Host` field, `scheme` "http"; `headerFields` are the other fields.
    public var head: HTTPRequest {
        var fields = headers
        let host = fields.firstIndex { $0.name.canonicalName == "host" }.map { fields.remove(at: $0).value }
        return HTTPRequest(method: method, scheme: "http", authority: host, path: parsedHead.target, headerFields: fields)
    }
    /// The query parameters, parsed (and percent-decoded) on each access.
    public var query: QueryParameters { QueryParameters(rawQuery: rawQuery ?? "") }
    /// A logger whose metadata carries `request-id`.
    public var logger: Logger {
        var logger = environment.logger
        logger[metadataKey: "request-id"] = "\(id)"
        return logger
    }
    /// The body as an `AsyncSequence` of chunks: as it arrives on a route registered with
    /// `body: .stream`, otherwise the collected `body` as one chunk (see `RequestBody`).
    public var bodyStream: RequestBody {
        RequestBody(source: context.streamedBody.map { .streamed($0) } ?? .collected(body))
    }

    /// The body as UTF-8 text (invalid bytes replaced).
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// Identifies a request within a server process: the loop that served it and a
/// per-loop sequence number. Printed as "<loop>-<sequence>".
public struct RequestID: Hashable, Sendable, CustomStringConvertible {
    /// The index of the event loop that served the request.
    public let loop: Int
    /// The request's sequence number on that loop.
    public let sequence: UInt64

    /// An id for request `sequence` on loop `loop`.
    package init(loop: Int, sequence: UInt64) {
        self.loop = loop
        self.sequence = sequence
    }

    public var description: String { "\(loop)-\(sequence)" }
}

/// What every request served by one loop shares: the loop and the server's logger.
/// A request holds one reference to it rather than copies of both.
package final class RequestEnvironment: Sendable {
    let eventLoop: EventLoop
    let logger: Logger

    package init(eventLoop: EventLoop, logger: Logger) {
        self.eventLoop = eventLoop
        self.logger = logger
    }
}
