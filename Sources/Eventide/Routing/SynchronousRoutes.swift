import HTTPTypes

/// A synchronous handler: the request and its background tasks in, a response out.
public typealias SyncRouteHandler<R: ResponseConvertible> = @Sendable (Request, BackgroundTasks) throws -> R
/// A synchronous handler of a typed body: the body decoded from JSON, the request and its tasks.
public typealias SyncBodyRouteHandler<Body: Decodable & SendableMetatype, R: ResponseConvertible> =
    @Sendable (Body, Request, BackgroundTasks) throws -> R

/// Registers synchronous handlers (`router.sync.get(...)`): they run inline on the loop
/// thread, so they must not block (no file or network I/O, no long computation: add a
/// background task or use an `async` handler for those). Around them, `SynchronousMiddleware`
/// keeps the whole chain inline; any other middleware moves the request into a task.
///
/// ```swift
/// router.sync.get("/plaintext") { _, _ in "Hello, World!" }
/// router.sync.post("/items", body: Item.self) { item, _, tasks in
///     try tasks.add(index, item)
///     return HTTPResponse.Status.accepted
/// }
/// ```
public struct SynchronousRoutes {
    let builder: any RouteBuilder

    /// Registers `handler` for `method` and the path template `path`.
    @discardableResult
    public func on<R: ResponseConvertible>(_ method: HTTPRequest.Method, _ path: String, _ handler: @escaping SyncRouteHandler<R>) -> Self {
        builder.addRoute(method, path, RouteHandler(responder: .sync { try handler($0, $0.backgroundTasks).makeResponse() }))
        return self
    }

    /// Registers `handler` for a JSON body decoded as `Body` (a `ValidationError`, 422,
    /// when it does not decode; 415 when `Content-Type` is present and not JSON).
    @discardableResult
    public func on<Body: Decodable & SendableMetatype, R: ResponseConvertible>(
        _ method: HTTPRequest.Method, _ path: String, body: Body.Type, _ handler: @escaping SyncBodyRouteHandler<Body, R>
    ) -> Self {
        on(method, path) { request, tasks in try handler(try request.decode(Body.self), request, tasks) }
    }

    /// Registers a synchronous GET handler (it also answers HEAD).
    @discardableResult
    public func get<R: ResponseConvertible>(_ path: String, _ handler: @escaping SyncRouteHandler<R>) -> Self {
        on(.get, path, handler)
    }

    /// Registers a synchronous POST handler.
    @discardableResult
    public func post<R: ResponseConvertible>(_ path: String, _ handler: @escaping SyncRouteHandler<R>) -> Self {
        on(.post, path, handler)
    }

    /// Registers a synchronous POST handler of a typed JSON body.
    @discardableResult
    public func post<Body: Decodable & SendableMetatype, R: ResponseConvertible>(
        _ path: String, body: Body.Type, _ handler: @escaping SyncBodyRouteHandler<Body, R>
    ) -> Self {
        on(.post, path, body: body, handler)
    }

    /// Registers a synchronous PUT handler.
    @discardableResult
    public func put<R: ResponseConvertible>(_ path: String, _ handler: @escaping SyncRouteHandler<R>) -> Self {
        on(.put, path, handler)
    }

    /// Registers a synchronous PUT handler of a typed JSON body.
    @discardableResult
    public func put<Body: Decodable & SendableMetatype, R: ResponseConvertible>(
        _ path: String, body: Body.Type, _ handler: @escaping SyncBodyRouteHandler<Body, R>
    ) -> Self {
        on(.put, path, body: body, handler)
    }

    /// Registers a synchronous PATCH handler.
    @discardableResult
    public func patch<R: ResponseConvertible>(_ path: String, _ handler: @escaping SyncRouteHandler<R>) -> Self {
        on(.patch, path, handler)
    }

    /// Registers a synchronous PATCH handler of a typed JSON body.
    @discardableResult
    public func patch<Body: Decodable & SendableMetatype, R: ResponseConvertible>(
        _ path: String, body: Body.Type, _ handler: @escaping SyncBodyRouteHandler<Body, R>
    ) -> Self {
        on(.patch, path, body: body, handler)
    }

    /// Registers a synchronous DELETE handler.
    @discardableResult
    public func delete<R: ResponseConvertible>(_ path: String, _ handler: @escaping SyncRouteHandler<R>) -> Self {
        on(.delete, path, handler)
    }
}
