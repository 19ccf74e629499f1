import Eventide

/// The Eventide request an OpenAPI operation is serving, for code that gets only the
/// generated `Operations.X.Input`: its background tasks, its id, its logger.
///
/// The transport binds it (a task-local) around the generated handler, so it is there in
/// the `APIProtocol` method, in `ServerMiddleware` and in tasks those start with
/// `Task {}` (not in detached tasks). Outside, reading it throws `OpenAPIRequestContextError`.
///
/// ```swift
/// func sendNotification(_ input: Operations.SendNotification.Input) async throws -> Operations.SendNotification.Output {
///     try OpenAPIRequestContext.backgroundTasks.add(writeNotification, input.path.email, "some notification")
///     return .ok(.init(body: .json(.init(message: "Notification sent in the background"))))
/// }
/// ```
///
/// Tasks added this way follow the server's usual rules: they run after the response's
/// last byte, and not at all when the response is 400 or above (unless `.always`).
public enum OpenAPIRequestContext {
    @TaskLocal static var bound: Request?

    /// The request being served.
    ///
    /// - Throws: `OpenAPIRequestContextError` outside an operation served by the transport.
    public static var request: Request {
        get throws(OpenAPIRequestContextError) {
            guard let bound else { throw OpenAPIRequestContextError() }
            return bound
        }
    }

    /// The background tasks of the request being served (`request.backgroundTasks`).
    ///
    /// - Throws: `OpenAPIRequestContextError` outside an operation served by the transport.
    public static var backgroundTasks: BackgroundTasks {
        get throws(OpenAPIRequestContextError) { try request.backgroundTasks }
    }
}
