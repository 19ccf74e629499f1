import Eventide
import HTTPTypes
import OpenAPIRuntime

/// Serves a generated `APIProtocol` (swift-openapi-generator) from Eventide's router:
///
/// ```swift
/// let router = Router()
/// try NotificationAPI().registerHandlers(on: router, middlewares: [RequestLogging()])
/// try Server(router: router).run()
/// ```
///
/// The request body reaches the generated code as an `HTTPBody` streamed as it arrives
/// (the routes are registered with `body: .stream`), of known length when the request
/// said `Content-Length`; the client is held back while the operation does not read
/// (within `HTTPLimits.maxBodyBytes`). A response body of known length is collected and sent with
/// `Content-Length`; one of unknown length is streamed chunk by chunk with backpressure.
/// Path parameters reach the runtime still percent-encoded, as it expects. The request
/// is bound to `OpenAPIRequestContext` around the operation. Errors: see `ServerError`'s
/// mapping in Documentation/OpenAPI.md (undecodable input 422, handler failure 500).
extension Router: ServerTransport {
    /// Registers the generated `handler` for `method` and the OpenAPI template `path`.
    ///
    /// - Throws: `OpenAPIPathError` for a template Eventide cannot route (a parameter
    ///   that is not a whole segment). Conflicting routes are reported when the server
    ///   builds its route table, as for any route.
    public func register(
        _ handler: @escaping @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?),
        method: HTTPRequest.Method,
        path: String
    ) throws {
        try addOpenAPIRoute(handler, method: method, path: path)
    }
}

/// A group's routes and middleware apply to the operations registered on it, under its
/// prefix: `try api.registerHandlers(on: router.group("/v1"))`.
extension RouteGroup: ServerTransport {
    /// Registers the generated `handler` for `method` and the OpenAPI template `path`
    /// under this group's prefix.
    ///
    /// - Throws: `OpenAPIPathError` for a template Eventide cannot route.
    public func register(
        _ handler: @escaping @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?),
        method: HTTPRequest.Method,
        path: String
    ) throws {
        try addOpenAPIRoute(handler, method: method, path: path)
    }
}

extension RouteBuilder {
    /// The route both transports register: the Eventide request in, the generated
    /// handler's answer (or its error) out as an Eventide `Response`.
    func addOpenAPIRoute(
        _ handler: @escaping @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?),
        method: HTTPRequest.Method,
        path: String
    ) throws(OpenAPIPathError) {
        let template = try OpenAPIPathTemplate(path)
        on(method, template.routeTemplate, body: .stream) { request, _ in
            let metadata = ServerRequestMetadata(pathParameters: template.values(in: request.path))
            let body = openAPIRequestBody(of: request)
            do {
                let (head, responseBody) = try await OpenAPIRequestContext.$bound.withValue(request) {
                    try await handler(request.head, body, metadata)
                }
                return try await Response(head, body: responseBody)
            } catch let error as ServerError {
                return try await error.response(to: request)
            }
        }
    }
}

/// The request's body as it arrives, or nil when it has none.
func openAPIRequestBody(of request: Request) -> HTTPBody? {
    let length: HTTPBody.Length
    switch request.parsedHead.framing {
    case .none, .contentLength(0): return nil
    case .contentLength(let count): length = .known(Int64(count))
    case .chunked: length = .unknown
    }
    return HTTPBody(request.bodyStream.map { ArraySlice($0) }, length: length, iterationBehavior: .single)
}
