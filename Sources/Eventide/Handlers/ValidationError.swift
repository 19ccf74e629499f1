/// A request the handler cannot use: a JSON body that does not decode to its type, a
/// parameter that does not convert, a required one missing. Answered `422 Unprocessable
/// Content` with a JSON body in the shape FastAPI uses, so its clients carry over:
///
/// ```json
/// {"detail":[{"loc":["body","price"],"msg":"Field required","type":"missing"}]}
/// ```
///
/// Thrown by `Request.decode`, `QueryParameters.require(_:as:)` and
/// `RouteParameters.require(_:as:)`. Like any error status, it skips the request's
/// background tasks. To answer differently, catch it in a middleware and use `details`:
///
/// ```swift
/// router.use(ClosureMiddleware { request, next in
///     do { return try await next(request) } catch let error as ValidationError {
///         return .text(error.details.map(\.msg).joined(separator: "\n"), status: .badRequest)
///     }
/// })
/// ```
public struct ValidationError: HTTPResponseError, CustomStringConvertible, Sendable {
    /// One problem: where (`loc`, from the part of the request: "body", "query", "path",
    /// then field names and array indexes), what (`msg`), and its machine-readable `type`
    /// (pydantic's names: "missing", "int_parsing", "string_type", "json_invalid"...).
    public struct Detail: Sendable, Equatable, Encodable {
        public var loc: [Location]
        public var msg: String
        public var type: String

        public init(loc: [Location], msg: String, type: String) {
            self.loc = loc
            self.msg = msg
            self.type = type
        }
    }

    /// A step of a location: a field's name or an array index.
    public enum Location: Sendable, Equatable, Encodable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
        case key(String)
        case index(Int)

        public init(stringLiteral value: String) { self = .key(value) }
        public init(integerLiteral value: Int) { self = .index(value) }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .key(let key): try container.encode(key)
            case .index(let index): try container.encode(index)
            }
        }
    }

    public var details: [Detail]

    public init(_ details: [Detail]) {
        self.details = details
    }

    public var status: HTTPResponse.Status { .unprocessableContent }

    public var headers: HTTPFields { [.contentType: "application/json"] }

    public var body: String {
        struct Body: Encodable { let detail: [Detail] }
        let bytes = (try? JSONBytesEncoder.encode(Body(detail: details))) ?? Array(#"{"detail":[]}"#.utf8)
        return String(decoding: bytes, as: UTF8.self)
    }

    public var description: String {
        details.map { detail in
            "\(detail.loc.map { location in if case .key(let key) = location { key } else { "\(location)" } }.joined(separator: ".")): \(detail.msg)"
        }.joined(separator: "; ")
    }
}
