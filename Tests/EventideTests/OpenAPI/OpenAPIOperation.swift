import HTTPTypes
@_spi(Generated) import OpenAPIRuntime

/// One operation registered the way swift-openapi-generator's code registers it: through
/// the runtime's `UniversalServer` (which runs the middlewares and wraps errors in
/// `ServerError`) and `ServerTransport.register`, without generating anything.
struct OpenAPIOperation<Input: Sendable, Output: Sendable>: Sendable {
    let id: String
    let method: HTTPRequest.Method
    let path: String
    /// The generated deserializer's part: the request (and the runtime's converter) to `Input`.
    let decode: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata, Converter) async throws -> Input
    /// The `APIProtocol` method.
    let handle: @Sendable (Input) async throws -> Output
    /// The generated serializer's part.
    let encode: @Sendable (Output) throws -> (HTTPResponse, HTTPBody?)

    func register(on transport: any ServerTransport, middlewares: [any ServerMiddleware] = []) throws {
        let server = UniversalServer(handler: self, middlewares: middlewares)
        let converter = server.converter
        try transport.register(
            { request, body, metadata in
                try await server.handle(
                    request: request, requestBody: body, metadata: metadata, forOperation: id,
                    using: { operation in operation.handle },
                    deserializer: { request, body, metadata in try await decode(request, body, metadata, converter) },
                    serializer: { output, _ in try encode(output) }
                )
            },
            method: method,
            path: try server.apiPathComponentsWithServerPrefix(path)
        )
    }
}
