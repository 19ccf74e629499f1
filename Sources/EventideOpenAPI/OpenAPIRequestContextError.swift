/// `OpenAPIRequestContext` was read outside an OpenAPI operation served by Eventide's
/// transport (a detached task, a test calling the handler directly): a programming error,
/// answered 500 when uncaught in a request.
public struct OpenAPIRequestContextError: Error, Sendable, CustomStringConvertible {
    /// What went wrong and where the context is available.
    public var description: String {
        "OpenAPIRequestContext read outside an OpenAPI operation served by Eventide's router (registerHandlers(on: router))"
    }
}
